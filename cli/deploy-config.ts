/**
 * What `peer-connect deploy` checks before wrangler uploads anything: the signaling config the
 * Worker will run, read from the wrangler config being deployed and decoded by the Worker's own
 * decoder (`decodeSignalConfig`), so a config the Worker would answer 500 to never reaches Cloudflare and
 * an open origin list is said out loud, as `peer-connect signal` says it. Pure: the caller reads
 * the file.
 */
import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { isRecord } from '../protocol/result.ts';
import { decodeSignalConfig, SIGNAL_CONFIG_VAR, type SignalConfig } from '../signal-worker/adapter/signal-config.ts';

/**
 * The Worker's config as deployed from the wrangler config `text` (read from `path`, named in
 * errors). Throws when the file is not JSONC or the Worker would refuse the var.
 */
export function deployedSignalConfig(text: string, path: string): SignalConfig {
  // Wrangler reads TOML too; this check cannot, and a check skipped in silence would be worse.
  if (/\.toml$/i.test(path))
    throw new Error(`${path}: only wrangler.json or wrangler.jsonc configs can be checked before deploying; convert it to JSONC`);
  const errors: ParseError[] = [];
  // The options wrangler itself reads JSONC with: comments and trailing commas allowed.
  const root: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) throw new Error(`${path}:${position(text, first.offset)}: not JSONC (${printParseErrorCode(first.error)})`);
  if (!isRecord(root)) throw new Error(`${path}: a wrangler config must be a JSON object`);
  // The top-level vars: deploy passes wrangler no --env, so those are the ones uploaded.
  const vars = isRecord(root.vars) ? root.vars : {};
  const config = decodeSignalConfig(vars[SIGNAL_CONFIG_VAR]);
  if (!config.ok)
    throw new Error(`${path}: vars.${SIGNAL_CONFIG_VAR} would make the Worker answer every request with 500: ${config.error}`);
  return config.value;
}

/** What is wrong with a config that lets any page use the server, and the fix. */
export function openOriginsProblem(path: string): string {
  return (
    `${path} deploys allowedOrigins "*": the Worker will accept pages from any origin. ` +
    `Set vars.${SIGNAL_CONFIG_VAR}.allowedOrigins to your site's origins, e.g. {"allowedOrigins": ["https://your-site.example"]}`
  );
}

/** `line:column`, 1-based, of a character offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}
