/**
 * The site owner's side of a test site (issue 15): the signaling server's dashboard JSON,
 * metrics and P2P switch, reached over HTTP with the token as a site owner would.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { DEFAULT_DASHBOARD_PATH, DEFAULT_METRICS_PATH, DEFAULT_P2P_PATH } from '../../../protocol/routes.ts';
import type { P2pModes } from '../../../protocol/usage-report.ts';
import type { DashboardData } from '../../../signal-worker/dashboard/usage-view.ts';
import { REPO_ROOT } from '../../runtimes/spawn-server.ts';
import type { TestSite } from './site.ts';

export const DASHBOARD_TOKEN = 'e2e-dashboard-token-0123456789';

/** Screenshots and other files a test leaves for people to look at (gitignored). */
export const RESULTS_DIR = join(REPO_ROOT, 'tests', 'results');

export async function resultsPath(file: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, file);
}

/** `http://127.0.0.1:<port>` of the site's signaling server. */
export const signalOrigin = (site: TestSite): string => new URL(site.signalUrl.replace(/^ws/, 'http')).origin;

const auth = { Authorization: `Bearer ${DASHBOARD_TOKEN}` };

export async function dashboardData(site: TestSite, swarm?: string): Promise<DashboardData> {
  const query = swarm ? `?swarm=${encodeURIComponent(swarm)}` : '';
  const response = await fetch(`${signalOrigin(site)}${DEFAULT_DASHBOARD_PATH}/data${query}`, { headers: auth });
  if (!response.ok) throw new Error(`dashboard data: ${response.status}`);
  return (await response.json()) as DashboardData;
}

export async function metrics(site: TestSite): Promise<ParsedFamily[]> {
  const response = await fetch(`${signalOrigin(site)}${DEFAULT_METRICS_PATH}`, { headers: auth });
  if (!response.ok) throw new Error(`metrics: ${response.status}`);
  return parsePrometheusTextFormat(await response.text());
}

/** The sum of a family's samples whose labels include `labels`. */
export function metricValue(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((n, m) => n + Number(m.value ?? 0), 0);
}

/** Sets the P2P modes as the site owner would (authenticated POST); returns how many bridges were told. */
export async function setP2pModes(site: TestSite, modes: P2pModes): Promise<number> {
  const response = await fetch(`${signalOrigin(site)}${DEFAULT_P2P_PATH}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify(modes),
  });
  if (!response.ok) throw new Error(`p2p: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { told: number }).told;
}
