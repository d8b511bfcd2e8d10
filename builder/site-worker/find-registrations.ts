/**
 * Finds a site's own service-worker registrations in its scripts: every
 * `….serviceWorker.register(url, options)` call and every `new Workbox(url, options)`
 * (workbox-window), read with a real JavaScript parser (acorn; parsed as a classic script, else as
 * a module). Pure: the caller reads the files.
 *
 * How the arguments resolve (Service Workers §3.4.3 `register()`: the script URL and the scope
 * are parsed against the document's base URL, HTML §4.2.3, for inline and external scripts alike):
 * - a string literal, or a template literal without expressions: against the document's base;
 * - `new URL(literal, second)`: `second` is `import.meta.url` (the script's own URL),
 *   `location`/`location.href`/`document.location`/`self.location`/`window.location` (the page),
 *   `document.baseURI` (the document's base), or another literal; `.href`/`.toString()` of it too;
 * - anything else (a variable, a call, a template with expressions) cannot be resolved: the call
 *   is reported with its argument's text, and the build asks for `--site-worker`.
 * `scope`, `type` and `updateViaCache` are read from an object literal of literal values.
 */
import { type Node as AcornNode, parse } from 'acorn';

/** Where a script runs: the page's URL and its document base (they differ under `<base href>`). */
export interface ScriptContext {
  pageUrl: URL;
  base: URL;
}

export interface ScriptSource {
  text: string;
  /** For messages: `index.html (inline script 2)`, `js/app.js`. */
  where: string;
  /** The script's own URL (`import.meta.url`); an inline script's is its page's. */
  scriptUrl: URL;
  /** True for `type="module"`; false for a classic inline script; null for a file (tried as a script, then as a module). */
  module: boolean | null;
  /** The pages it runs in (one per page that includes it). */
  contexts: ScriptContext[];
}

export type WorkerType = 'classic' | 'module';
export type UpdateViaCache = 'imports' | 'all' | 'none';

/** One `register()` call in one page context. */
export interface FoundRegistration {
  where: string;
  /** 1-based line of the call in its script. */
  line: number;
  /** The resolved script URL, or null when it cannot be resolved (`argument` says what it was). */
  script: URL | null;
  /** The resolved scope, null when not given (the script's folder) or unresolvable (`unresolved` says). */
  scope: URL | null;
  type: WorkerType;
  updateViaCache: UpdateViaCache | null;
  /** Why the call cannot be used as written: the argument's source text and what is wrong. Null when resolved. */
  unresolved: string | null;
}

/** Whether a script's text could hold a registration at all (skips parsing the rest). */
export const mayRegister = (text: string): boolean => text.includes('serviceWorker') || text.includes('Workbox');

/**
 * Every registration call in `source`, resolved in each of its contexts. A script that parses
 * neither as a script nor as a module is reported in `parseError` (the browser would not run it).
 */
export function findRegistrations(source: ScriptSource): { found: FoundRegistration[]; parseError: string | null } {
  const program = parseEither(source.text, source.module);
  if (typeof program === 'string') return { found: [], parseError: program };
  const found: FoundRegistration[] = [];
  walk(program, (node) => {
    const call = registrationCall(node);
    if (call === null) return;
    const line = lineOf(source.text, node.start);
    for (const context of source.contexts) found.push(resolveCall(call, context, source, line));
  });
  return { found, parseError: null };
}

type Estree = AcornNode & Record<string, unknown>;

function parseEither(text: string, module: boolean | null): Estree | string {
  const attempt = (sourceType: 'script' | 'module'): Estree | string => {
    try {
      return parse(text, { ecmaVersion: 'latest', sourceType, allowHashBang: true }) as unknown as Estree;
    } catch (error) {
      return (error as Error).message;
    }
  };
  if (module === true) return attempt('module');
  const script = attempt('script');
  if (typeof script !== 'string' || module === false) return script;
  const asModule = attempt('module');
  return typeof asModule === 'string' ? script : asModule;
}

function walk(node: unknown, visit: (node: Estree) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (typeof node !== 'object' || node === null || typeof (node as { type?: unknown }).type !== 'string') return;
  visit(node as Estree);
  for (const [key, value] of Object.entries(node)) if (key !== 'type' && typeof value === 'object') walk(value, visit);
}

const isNode = (value: unknown, type?: string): value is Estree =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { type?: unknown }).type === 'string' &&
  (type === undefined || (value as { type: string }).type === type);

/** The name a member access or identifier ends in (`a.b.register` → `register`), else null. */
function propertyName(node: unknown): string | null {
  if (isNode(node, 'Identifier')) return node.name as string;
  if (isNode(node, 'Literal') && typeof node.value === 'string') return node.value;
  return null;
}

/** `….serviceWorker.register(args)` or `new Workbox(args)` / `new ….Workbox(args)`: its arguments. */
function registrationCall(node: Estree): Estree[] | null {
  const args = node.arguments as Estree[] | undefined;
  if (node.type === 'CallExpression' && isNode(node.callee, 'MemberExpression')) {
    const callee = node.callee;
    if (propertyName(callee.property) !== 'register' || !isNode(callee.object, 'MemberExpression')) return null;
    return propertyName(callee.object.property) === 'serviceWorker' ? (args ?? []) : null;
  }
  if (node.type === 'NewExpression') {
    const callee = node.callee;
    const name = isNode(callee, 'MemberExpression') ? propertyName(callee.property) : propertyName(callee);
    return name === 'Workbox' ? (args ?? []) : null;
  }
  return null;
}

function resolveCall(args: Estree[], context: ScriptContext, source: ScriptSource, line: number): FoundRegistration {
  const base: FoundRegistration = {
    where: source.where,
    line,
    script: null,
    scope: null,
    type: 'classic',
    updateViaCache: null,
    unresolved: null,
  };
  const text = (node: Estree): string => source.text.slice(node.start, node.end);
  const first = args[0];
  if (first === undefined) return { ...base, unresolved: 'register() without a script URL' };
  const script = resolveUrl(first, context, source.scriptUrl);
  if (script === null) return { ...base, unresolved: `the script URL \`${text(first)}\` is not a literal the build can resolve` };
  const options = args[1];
  if (options === undefined) return { ...base, script };
  if (!isNode(options, 'ObjectExpression')) {
    return { ...base, script, unresolved: `the options \`${text(options)}\` are not an object literal the build can read` };
  }
  let found: FoundRegistration = { ...base, script };
  for (const prop of options.properties as Estree[]) {
    const key = isNode(prop, 'Property') && !prop.computed ? propertyName(prop.key) : null;
    if (key === null) return { ...found, unresolved: `the options \`${text(options)}\` are not an object literal the build can read` };
    if (key !== 'scope' && key !== 'type' && key !== 'updateViaCache') continue;
    const value = prop.value as Estree;
    if (key === 'scope') {
      const scope = resolveUrl(value, context, source.scriptUrl);
      if (scope === null) return { ...found, unresolved: `the scope \`${text(value)}\` is not a literal the build can resolve` };
      found = { ...found, scope };
      continue;
    }
    const literal = stringOf(value);
    if (key === 'type' && (literal === 'classic' || literal === 'module')) found = { ...found, type: literal };
    else if (key === 'updateViaCache' && (literal === 'imports' || literal === 'all' || literal === 'none'))
      found = { ...found, updateViaCache: literal };
    else return { ...found, unresolved: `the option ${key}: \`${text(value)}\` is not a literal the build can read` };
  }
  return found;
}

/** A string literal's or expression-free template literal's value, else null. */
function stringOf(node: Estree): string | null {
  if (isNode(node, 'Literal') && typeof node.value === 'string') return node.value;
  if (isNode(node, 'TemplateLiteral') && (node.expressions as unknown[]).length === 0) {
    const quasi = (node.quasis as Estree[])[0];
    const cooked = (quasi?.value as { cooked?: string | null } | undefined)?.cooked;
    return typeof cooked === 'string' ? cooked : null;
  }
  return null;
}

function resolveUrl(node: Estree, context: ScriptContext, scriptUrl: URL): URL | null {
  const literal = stringOf(node);
  if (literal !== null) return tryUrl(literal, context.base);
  // `new URL(…).href`, `new URL(…).toString()`
  if (isNode(node, 'MemberExpression') && propertyName(node.property) === 'href' && !node.computed) {
    return isNode(node.object, 'NewExpression') ? resolveUrl(node.object as Estree, context, scriptUrl) : null;
  }
  if (isNode(node, 'CallExpression') && isNode(node.callee, 'MemberExpression') && propertyName(node.callee.property) === 'toString') {
    return isNode(node.callee.object, 'NewExpression') ? resolveUrl(node.callee.object as Estree, context, scriptUrl) : null;
  }
  if (!isNode(node, 'NewExpression') || propertyName(node.callee) !== 'URL') return null;
  const [input, second] = node.arguments as Estree[];
  const value = input === undefined ? null : stringOf(input);
  if (value === null) return null;
  if (second === undefined) return tryUrl(value, null);
  const against = baseOf(second, context, scriptUrl);
  return against === null ? null : tryUrl(value, against);
}

/** What a `new URL(x, second)` second argument stands for, when the build can know it. */
function baseOf(node: Estree, context: ScriptContext, scriptUrl: URL): URL | null {
  const literal = stringOf(node);
  if (literal !== null) return tryUrl(literal, context.base);
  const path = memberPath(node);
  if (path === 'import.meta.url') return scriptUrl;
  if (path === 'document.baseURI') return context.base;
  const page = ['location', 'location.href', 'document.location', 'document.location.href', 'window.location', 'window.location.href'];
  if (path !== null && (page.includes(path) || page.includes(path.replace(/^(self|globalThis)\./, '')))) return context.pageUrl;
  return null;
}

/** `a.b.c` for a chain of identifiers (and `import.meta`), else null. */
function memberPath(node: unknown): string | null {
  if (isNode(node, 'Identifier')) return node.name as string;
  if (isNode(node, 'MetaProperty')) return `${propertyName(node.meta)}.${propertyName(node.property)}`;
  if (isNode(node, 'MemberExpression') && !node.computed) {
    const object = memberPath(node.object);
    const name = propertyName(node.property);
    return object === null || name === null ? null : `${object}.${name}`;
  }
  return null;
}

function tryUrl(value: string, base: URL | null): URL | null {
  try {
    return base === null ? new URL(value) : new URL(value, base);
  } catch {
    return null;
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
