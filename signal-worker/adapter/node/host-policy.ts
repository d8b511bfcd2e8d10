/**
 * Which `Host` header values the site server answers: the defence against DNS rebinding. A page
 * on attacker.example can re-point its own name at 127.0.0.1 or a LAN address once it has loaded;
 * its requests are then same-origin to the browser, which would let it read the served files and
 * the health route. What it cannot change is the name the browser puts in `Host` (RFC 9110 §7.2),
 * so the server answers only names it was told about, plus the ones DNS cannot re-point:
 * - IP literals (IPv4, bracketed IPv6), any port: a page whose origin is an address has no name to rebind;
 * - `localhost` and `*.localhost`: browsers resolve them to loopback themselves (RFC 6761 §6.3).
 * Names are compared case-insensitively and without their port.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * `'*'` (or a list holding `'*'`) turns the check off, for a server behind a proxy that checks
 * Host itself; otherwise the host names to answer besides IP literals and localhost.
 */
export type AllowedHosts = '*' | readonly string[];

/** A Host value without its port: an IP literal, or a lowercased ASCII name without a trailing dot. */
export type ParsedHost = { kind: 'ip'; address: string } | { kind: 'name'; name: string };

/** Longest DNS name in its text form (RFC 1035 §2.3.4: 255 octets on the wire). */
const MAX_NAME_CHARS = 253;
/** LDH labels, plus `_`, which some internal names carry; punycode (`xn--`) is LDH. */
const NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
/** `uri-host [":" port]` (RFC 3986 §3.2.2–3.2.3): bracketed IP literal or a colon-free host, then digits. */
const HOST_AND_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::\d*)?$/;

/**
 * Parses a Host header value. Returns null for what no browser sends: IPvFuture, a bad port,
 * characters a DNS name cannot have, a name over 253 characters.
 */
export function parseHost(value: string): ParsedHost | null {
  const match = HOST_AND_PORT.exec(value);
  if (!match) return null;
  const [, bracketed, bare] = match;
  if (bracketed !== undefined) return isIPv6(bracketed) ? { kind: 'ip', address: bracketed } : null;
  if (bare === undefined) return null;
  if (isIPv4(bare)) return { kind: 'ip', address: bare };
  // `example.com.` is the same name written fully qualified; browsers send it as typed.
  const name = bare.toLowerCase().replace(/\.$/, '');
  return name.length <= MAX_NAME_CHARS && NAME.test(name) ? { kind: 'name', name } : null;
}

/**
 * Returns a predicate for the `Host` header (undefined when the request had none, which is
 * refused: only HTTP/1.0 clients omit it). A malformed entry is a configuration bug: throws a
 * TypeError naming it. Entries may carry a port (ignored) and may be Unicode (compared as punycode).
 */
export function createHostCheck(allowed: AllowedHosts): (host: string | undefined) => boolean {
  if (allowed === '*' || allowed.includes('*')) return () => true;
  const names = new Set(allowed.map(normaliseEntry).filter((name) => name !== null));
  return (header) => {
    const host = header === undefined ? null : parseHost(header);
    if (host === null) return false;
    return host.kind === 'ip' || isLocalhostName(host.name) || names.has(host.name);
  };
}

/**
 * The text of a 421 (RFC 9110 §15.5.20) for a refused Host: says which name was refused and what
 * to pass to serve it. Only a parsed name is echoed, so the body never carries arbitrary input.
 */
export function refusedHostText(header: string | undefined): string {
  const host = header === undefined ? null : parseHost(header);
  const refused = host?.kind === 'name' ? `the name "${host.name}"` : 'a request without a usable Host header';
  const flag = host?.kind === 'name' ? host.name : '<name>';
  return (
    `421 Misdirected Request: this server does not answer ${refused}. ` +
    `Start it with --allowed-host ${flag} (option allowedHosts) to serve that name, ` +
    `or --allowed-host '*' behind a reverse proxy that checks Host itself.\n`
  );
}

/** Whether a bind address only takes connections from this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(bindHost: string): boolean {
  const host = bindHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** An entry's name as parseHost gives it, or null for an IP literal (always accepted anyway). */
function normaliseEntry(entry: string): string | null {
  const withoutPort = entry.trim().replace(/:\d*$/, '');
  // Only Unicode goes through domainToASCII, which would also quietly drop a path (`a.example/x`).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is "anything outside ASCII", which starts at \x00
  const ascii = /[^\x00-\x7f]/.test(withoutPort) ? domainToASCII(withoutPort) : withoutPort;
  const host = parseHost(ascii);
  if (host === null) throw new TypeError(`not a host name: ${JSON.stringify(entry)}`);
  return host.kind === 'name' ? host.name : null;
}
