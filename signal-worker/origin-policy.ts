/**
 * Which web pages may open a signaling socket. Browsers always send `Origin` on a WebSocket
 * handshake and a page cannot forge it, so this stops other sites from using our server through
 * their visitors' browsers. (A non-browser client can send any Origin; nothing stops that here.)
 */
export type AllowedOrigins = '*' | readonly string[];

/**
 * Returns a predicate for the `Origin` header. With a list, a missing or `null` Origin is refused:
 * the list means "only these pages". Entries are normalised through URL so `http://Host:80/`
 * matches what a browser sends (`http://host`). A malformed entry is a configuration bug: throws.
 */
export function createOriginCheck(allowed: AllowedOrigins): (origin: string | undefined) => boolean {
  if (allowed === '*') return () => true;
  const origins = new Set(allowed.map((entry) => normaliseOrigin(entry)));
  return (origin) => {
    if (origin === undefined || origin === 'null') return false;
    try {
      return origins.has(normaliseOrigin(origin));
    } catch {
      return false;
    }
  };
}

/** Whether `entry` can be in an origin list: an absolute URL with a real origin (`https://site.example`). */
export function isOrigin(entry: string): boolean {
  try {
    normaliseOrigin(entry);
    return true;
  } catch {
    return false;
  }
}

function normaliseOrigin(value: string): string {
  const origin = new URL(value).origin;
  if (origin === 'null') throw new TypeError(`not an origin: ${value}`);
  return origin;
}
