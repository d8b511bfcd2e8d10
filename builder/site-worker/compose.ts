/**
 * The site's worker with ours in it: our script is loaded first, then the site's code runs as
 * written. Pure.
 *
 * Ours imported into theirs, not theirs into ours: the site keeps its worker URL, its scope, its
 * update flow and the registration its visitors already have; only one line is added. A classic
 * worker gets `importScripts(…)` (after its directive prologue, so a leading `'use strict'` stays a
 * directive); a module worker, which cannot call importScripts (HTML §10.3.4), a static `import`,
 * evaluated before the importing module's body. Chromium checks imported scripts for changes on
 * every update check (`updateViaCache: 'imports'`, the default), and the import URL carries the
 * build id as well, so a new deploy changes the site worker's own bytes and the browser updates it
 * whatever its `updateViaCache`.
 */
import { parse } from 'acorn';
import type { WorkerType } from './find-registrations.ts';

/** Marks the line we add, so a site rebuilt from a built output gets it once. */
export const COMPOSED_MARK = '/* peer-connect: composed */';

/**
 * `text` (the site worker's source) with our worker loaded first from `importUrl` (relative to
 * the site worker: `./peer-connect-sw.js?v=<build>`). The statement goes on the first line (or
 * after the prologue on its line), so the site's line numbers, and its source map, still hold.
 * A statement an earlier build added is replaced.
 */
export function composeWorker(text: string, importUrl: string, type: WorkerType): string {
  const own = text.replace(COMPOSED_STATEMENT, '');
  const url = JSON.stringify(importUrl);
  if (type === 'module') return `import ${url}; ${COMPOSED_MARK} ${own}`;
  const statement = `importScripts(${url}); ${COMPOSED_MARK} `;
  const at = prologueEnd(own);
  if (at === 0) return `${statement}${own}`;
  return `${own.slice(0, at)} ${statement}${own.slice(at)}`;
}

/** What composeWorker adds, as an earlier build wrote it. */
const COMPOSED_STATEMENT = /(?: ?importScripts\("[^"\n]*"\)|import "[^"\n]*"); \/\* peer-connect: composed \*\/ /g;

/** Where a classic script's directive prologue (`'use strict';`) ends, or 0 when it has none or does not parse. */
function prologueEnd(text: string): number {
  try {
    const program = parse(text, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
    let end = 0;
    for (const statement of program.body) {
      if (statement.type !== 'ExpressionStatement' || typeof (statement as { directive?: unknown }).directive !== 'string') break;
      end = statement.end;
    }
    return end;
  } catch {
    return 0;
  }
}

/** A worker file's type when no `register()` says: a module when it parses only as one. */
export function workerTypeOf(text: string): WorkerType {
  const parses = (sourceType: 'script' | 'module'): boolean => {
    try {
      parse(text, { ecmaVersion: 'latest', sourceType, allowHashBang: true });
      return true;
    } catch {
      return false;
    }
  };
  return !parses('script') && parses('module') ? 'module' : 'classic';
}
