/** What the build bakes into the service worker besides the manifest (`__PEER_CONNECT_WORKER_CONFIG__`). */
export interface WorkerConfig {
  /** Bytes of verified pieces kept in IndexedDB; past it whole assets are evicted, least recently used first. */
  storeQuotaBytes: number;
}
