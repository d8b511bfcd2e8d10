/**
 * What a page's `<meta http-equiv="Content-Security-Policy">` policies need so that our two
 * scripts may run: the inline first-visit script (a nonce the page already uses, else our hash
 * added to the policy) and the same-origin bridge script (`'self'`, a scheme or `*`, else the
 * nonce), and so that the worker may be registered (`worker-src`, falling back as CSP3 §6.1.5
 * says: worker-src → child-src → script-src → default-src). A policy that allows none of it
 * leaves the page without first-visit changes. A CSP sent as an HTTP header is invisible here:
 * README "First visits" gives the source expressions a site adds to it.
 *
 * Directive fallbacks from CSP3 (https://www.w3.org/TR/CSP3/#directive-fallback-list): a script
 * element is checked against script-src-elem → script-src → default-src. A hash or nonce in a
 * list disables 'unsafe-inline' in it (CSP3 §6.7.3.3), so our hash is added only where
 * 'unsafe-inline' is absent or already disabled, and never to default-src (styles fall back to
 * it too): a script-src copied from default-src gets it instead.
 */
import { fail, ok, type Result } from '../../protocol/result.ts';

interface Directive {
  name: string;
  sources: string[];
}

/** What the page's CSP requires of us; `policies` are the metas' new contents, in order. */
export interface CspPlan {
  /** The nonce to put on our script tags, or null. */
  nonce: string | null;
  /** Each meta's content after our edits (unchanged when nothing was needed). */
  policies: string[];
}

export type CspRefusal = 'csp-blocks-bridge' | 'csp-blocks-worker' | 'csp-blocks-signaling';

/**
 * `signalUrl`: the signaling server's `ws(s):` URL, or null for the page's own origin (which
 * `'self'` covers, CSP3 §6.7.2.8 matching ws: to http: and wss: to https:).
 * `policies`: the content of every CSP meta of the page, in document order (enforced together:
 * each must allow us). `inlineHash`: our inline script's source expression (`'sha256-…'`), or a
 * function giving it for the nonce the plan settles on (the script may carry it), or null when
 * the page gets no inline script.
 */
export function planForCsp(
  policies: readonly string[],
  inlineHash: ((nonce: string | null) => string) | string | null,
  signalUrl: string | null = null,
): Result<CspPlan, CspRefusal> {
  const parsed = policies.map(parsePolicy);
  const nonce = commonNonce(parsed);
  const hash = typeof inlineHash === 'function' ? inlineHash(nonce) : inlineHash;
  const out: string[] = [];
  for (const [i, policy] of parsed.entries()) {
    const script = effective(policy, ['script-src-elem', 'script-src', 'default-src']);
    const worker = effective(policy, ['worker-src', 'child-src', 'script-src', 'default-src']);
    if (script && !allowsSameOrigin(script.sources) && !(nonce !== null && hasNonce(script.sources, nonce))) {
      return fail(`its Content-Security-Policy (${script.name}) allows no same-origin script; add 'self' or a nonce`, 'csp-blocks-bridge');
    }
    if (worker && !allowsSameOrigin(worker.sources)) {
      return fail(
        `its Content-Security-Policy (${worker.name}) does not allow the service worker; add worker-src 'self'`,
        'csp-blocks-worker',
      );
    }
    const connect = effective(policy, ['connect-src', 'default-src']);
    if (connect && !allowsSignaling(connect.sources, signalUrl)) {
      const where = signalUrl === null ? "'self'" : new URL(signalUrl).origin;
      return fail(
        `its Content-Security-Policy (${connect.name}) does not allow the signaling server; add ${where}`,
        'csp-blocks-signaling',
      );
    }
    let edited = policy;
    if (script && hash !== null && !allowsInline(script.sources, nonce)) edited = withScriptHash(policy, script, hash);
    out.push(edited === policy ? (policies[i] ?? '') : serialize(edited));
  }
  return ok({ nonce, policies: out });
}

function parsePolicy(text: string): Directive[] {
  const seen = new Set<string>();
  const directives: Directive[] = [];
  for (const part of text.split(';')) {
    const tokens = part
      .trim()
      .split(/[\t\n\f\r ]+/)
      .filter(Boolean);
    const name = tokens[0]?.toLowerCase();
    // CSP3 §2.2.1: a repeated directive is ignored.
    if (!name || seen.has(name)) continue;
    seen.add(name);
    directives.push({ name, sources: tokens.slice(1) });
  }
  return directives;
}

function serialize(policy: Directive[]): string {
  return policy.map((d) => [d.name, ...d.sources].join(' ')).join('; ');
}

function effective(policy: Directive[], fallbacks: string[]): Directive | undefined {
  for (const name of fallbacks) {
    const found = policy.find((d) => d.name === name);
    if (found) return found;
  }
  return undefined;
}

const lower = (sources: string[]): string[] => sources.map((s) => s.toLowerCase());

/** A same-origin URL is allowed: `'self'`, `*`, or a scheme source (`https:`), and no 'strict-dynamic' (which voids them). */
function allowsSameOrigin(sources: string[]): boolean {
  const s = lower(sources);
  if (s.includes("'strict-dynamic'") || s.includes("'none'")) return false;
  return s.includes("'self'") || s.includes('*') || s.includes('https:') || s.includes('http:');
}

function hasNonce(sources: string[], nonce: string): boolean {
  return sources.includes(`'nonce-${nonce}'`);
}

/** An inline script runs: the nonce we will add, or 'unsafe-inline' not voided by a hash, nonce or 'strict-dynamic'. */
function allowsInline(sources: string[], nonce: string | null): boolean {
  if (nonce !== null && hasNonce(sources, nonce)) return true;
  const s = lower(sources);
  const voided = s.some((x) => x.startsWith("'nonce-") || x.startsWith("'sha") || x === "'strict-dynamic'");
  return s.includes("'unsafe-inline'") && !voided;
}

/** The one nonce every policy that restricts scripts names (a static page's nonce is a fixed string), or null. */
function commonNonce(policies: Directive[][]): string | null {
  let nonce: string | null = null;
  for (const policy of policies) {
    const script = effective(policy, ['script-src-elem', 'script-src', 'default-src']);
    const found = script?.sources.find((s) => /^'nonce-[^']+'$/.test(s));
    if (!found) continue;
    const value = found.slice(7, -1);
    if (nonce !== null && nonce !== value) return null;
    nonce = value;
  }
  return nonce;
}

function withScriptHash(policy: Directive[], script: Directive, hash: string): Directive[] {
  if (script.name !== 'default-src') return policy.map((d) => (d === script ? { name: d.name, sources: [...d.sources, hash] } : d));
  return [...policy, { name: 'script-src', sources: [...script.sources, hash] }];
}

/**
 * The page may open a WebSocket to the signaling server (CSP3 §6.7.2.5-8, simplified: scheme
 * sources, `*`, `'self'` for the page's own origin, and host sources with `*.` and port `*`).
 */
function allowsSignaling(sources: string[], signalUrl: string | null): boolean {
  const s = lower(sources);
  if (s.includes("'none'")) return false;
  if (signalUrl === null) return s.includes("'self'") || s.includes('*') || s.includes('ws:') || s.includes('wss:');
  let url: URL;
  try {
    url = new URL(signalUrl);
  } catch {
    return true; // not ours to judge: the build checks the signaling URL itself
  }
  const scheme = url.protocol; // 'ws:' or 'wss:'
  return s.some((source) => {
    // A scheme source: ws: also allows wss:; Chromium lets http:/https: stand for ws:/wss:.
    if (source === '*' || source === scheme || (source === 'ws:' && scheme === 'wss:')) return true;
    if ((source === 'http:' && scheme === 'ws:') || (source === 'https:' && scheme === 'wss:')) return true;
    const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^:/]+|\*)(?::(\d+|\*))?(\/.*)?$/.exec(source);
    if (!m || source.startsWith("'")) return false;
    const [, srcScheme, wildcard, host, port] = m;
    if (srcScheme !== undefined && `${srcScheme}:` !== scheme && !(srcScheme === 'ws' && scheme === 'wss:')) return false;
    const hostOk = host === '*' || (wildcard ? url.hostname.endsWith(`.${host}`) : url.hostname === host);
    const defaultPort = scheme === 'wss:' ? '443' : '80';
    const portOk = port === '*' || (port ?? defaultPort) === (url.port || defaultPort);
    return hostOk && portOk;
  });
}
