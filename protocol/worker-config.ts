/** What the build bakes into the service worker besides the manifest (`__PEER_CONNECT_WORKER_CONFIG__`). */
export interface WorkerConfig {
  /** Bytes of verified pieces kept in IndexedDB; past it whole assets are evicted, least recently used first. */
  storeQuotaBytes: number;
  /**
   * The site's root (where the manifest's keys start), relative to the registered worker script
   * (`self.location`): `./` for our own worker at the root; `../` for a site worker in `js/`.
   * Absent: `./` (builds before composed mode).
   */
  siteRoot?: string;
  /**
   * True when this script is imported into the site's own worker (builder/site-worker/): the
   * site's fetch listeners run first, the site's network fetches of manifest assets get our
   * answer, and the site's code decides when a new worker takes over (no `skipWaiting` of ours).
   */
  composed?: boolean;
}
