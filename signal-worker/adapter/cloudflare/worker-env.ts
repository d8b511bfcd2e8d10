/**
 * The Worker's environment: the Durable Object bindings wrangler.jsonc declares and one var,
 * `PEER_CONNECT_SIGNAL_CONFIG` (../signal-config.ts, the decoder every runtime uses), settable
 * in wrangler.jsonc `vars`, with `wrangler dev --var` or in the dashboard.
 */
import type { DurableObjectNamespace } from './workers-types.ts';

export interface WorkerEnv {
  SIGNAL_SWARMS: DurableObjectNamespace;
  TRACKER_SITES: DurableObjectNamespace;
  /** A JSON string (from `--var`) or an object (from wrangler.jsonc `vars`); optional. */
  PEER_CONNECT_SIGNAL_CONFIG?: unknown;
  /** The site owner's token for the dashboard, metrics and P2P switch (a secret: `wrangler secret put`); unset: 404. */
  PEER_CONNECT_DASHBOARD_TOKEN?: string;
}
