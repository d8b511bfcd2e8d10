/**
 * A precache manifest in the site's worker (Workbox's `precacheAndRoute([{url, revision}, …])`,
 * written by generateSW or injectManifest) names each page with a revision hashed from the page
 * the site's own build wrote. The build rewrites pages (our script tags carry the build id), so a
 * deploy that changes only assets changes the pages we write while their revisions stay: Workbox
 * would keep answering navigations with the previous deploy's pages, which name the previous
 * build, and our worker passes every request of a page of another build (no P2P). So the build
 * gives every `{url, revision}` entry that names a page it rewrote the revision of the page as
 * written. Pure; only string literals inside object literals that have both keys are touched.
 */
import { parse } from 'acorn';

interface Splice {
  at: number;
  end: number;
  text: string;
}

/**
 * `text` with the revision of every precache entry whose `url` (resolved against `workerUrl`, as
 * Workbox resolves it: against the worker's location) is a page `revisionOf` knows. Returns the
 * text unchanged when it does not parse.
 */
export function refreshPrecacheRevisions(
  text: string,
  workerUrl: URL,
  revisionOf: (sitePath: string) => string | null,
): { text: string; updated: string[] } {
  const program = parseAny(text);
  if (program === null) return { text, updated: [] };
  const splices: Splice[] = [];
  const updated: string[] = [];
  visit(program, (node) => {
    if (node.type !== 'ObjectExpression') return;
    const props = (node.properties as Node[]).filter((p) => p.type === 'Property' && !p.computed);
    const find = (name: string): Node | undefined =>
      props.find((p) => {
        const key = p.key as Node;
        return (key.type === 'Identifier' && key.name === name) || (key.type === 'Literal' && key.value === name);
      });
    const url = find('url')?.value as Node | undefined;
    const revision = find('revision')?.value as Node | undefined;
    if (url?.type !== 'Literal' || typeof url.value !== 'string' || revision?.type !== 'Literal') return;
    const path = sitePathOf(url.value, workerUrl);
    const next = path === null ? null : revisionOf(path);
    if (path === null || next === null || revision.value === next) return;
    splices.push({ at: revision.start as number, end: revision.end as number, text: JSON.stringify(next) });
    updated.push(path);
  });
  let out = text;
  for (const s of splices.sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.text + out.slice(s.end);
  return { text: out, updated };
}

type Node = { type: string; start?: number; end?: number } & Record<string, unknown>;

function parseAny(text: string): Node | null {
  for (const sourceType of ['script', 'module'] as const) {
    try {
      return parse(text, { ecmaVersion: 'latest', sourceType, allowHashBang: true }) as unknown as Node;
    } catch {
      // try the other
    }
  }
  return null;
}

function visit(node: unknown, fn: (node: Node) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) visit(child, fn);
    return;
  }
  if (typeof node !== 'object' || node === null || typeof (node as { type?: unknown }).type !== 'string') return;
  fn(node as Node);
  for (const value of Object.values(node)) if (typeof value === 'object') visit(value, fn);
}

function sitePathOf(url: string, workerUrl: URL): string | null {
  try {
    const resolved = new URL(url, workerUrl);
    if (resolved.origin !== workerUrl.origin || resolved.search !== '') return null;
    return decodeURIComponent(resolved.pathname.slice(1));
  } catch {
    return null;
  }
}
