/**
 * The dashboard page's script (bundled with uPlot by scripts/bundle-dashboard.ts into
 * bundle.gen.ts, served as `/peer-connect/dashboard/app.js`). It takes the token from the page's
 * URL (`?token=`), removes it from the address bar and history, and polls the JSON with it in an
 * `Authorization` header every DASHBOARD_POLL_MS; charts are redrawn in place, never the page.
 * Text from the server (swarm ids, asset paths that visitors reported) goes in as text, never markup.
 */
import uPlot from 'uplot';
import { DASHBOARD_POLL_MS } from '../../../protocol/limits.ts';
import { DEFAULT_DASHBOARD_PATH, DEFAULT_P2P_PATH } from '../../../protocol/routes.ts';
import type { DashboardData } from '../usage-view.ts';

const params = new URL(location.href).searchParams;
// Kept in memory only: with `peer-connect serve` this page shares its origin with the site, whose
// scripts could read any storage. A reload needs the link with the token again.
const token = params.get('token') ?? '';
let swarm = params.get('swarm');
// The token must not stay in the address bar, the history or a bookmark.
history.replaceState(null, '', location.pathname + (swarm ? `?swarm=${encodeURIComponent(swarm)}` : ''));

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const auth = { Authorization: `Bearer ${token}` };

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Sets a figure's text and its exact value (`data-value`, read by tests and scrapers of the page). */
function figure(id: string, value: number, text: string): void {
  const node = el(id);
  node.textContent = text;
  node.dataset.value = String(value);
}

type Chart = { plot: uPlot; fields: Array<(d: DashboardData, i: number) => number> };
const charts = new Map<string, Chart>();
/**
 * The x range shown, in seconds: from the first point (at least an hour back, at most 24 h) to
 * the minute after now, so a new server's few points do not stretch over years.
 */
let xRange: [number, number] = [0, 1];

function chart(
  id: string,
  title: string,
  series: Array<{ label: string; stroke: string; value: (d: DashboardData, i: number) => number }>,
  yValue?: (v: number) => string,
): Chart {
  const known = charts.get(id);
  if (known) return known;
  const host = el(id);
  const options: uPlot.Options = {
    title,
    width: Math.max(320, host.clientWidth || 560),
    height: 220,
    scales: { x: { time: true, range: () => xRange } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => (yValue ? yValue(t) : String(t))), size: 90 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: true, size: 4 } }))],
  };
  const made = { plot: new uPlot(options, [[], ...series.map(() => [])], host), fields: series.map((s) => s.value) };
  charts.set(id, made);
  return made;
}

function draw(id: string, d: DashboardData, c: Chart): void {
  const xs = d.series.minutes.map((m) => m * 60);
  c.plot.setData([xs, ...c.fields.map((f) => xs.map((_, i) => f(d, i)))]);
  el(id).dataset.points = String(xs.length);
}

function render(d: DashboardData): void {
  const nowS = Math.floor(d.now / 1000);
  const first = (d.series.minutes[0] ?? Number.POSITIVE_INFINITY) * 60;
  xRange = [Math.max(nowS - 24 * 3600, Math.min(first, nowS - 3600)) - 60, nowS + 60];
  el('swarm').textContent = d.swarm ?? '(no swarm yet)';
  el('mode').textContent = d.mode;
  const select = el<HTMLSelectElement>('swarms');
  if (select.options.length !== d.swarms.length) {
    select.replaceChildren(...d.swarms.map((s) => new Option(s, s, false, s === d.swarm)));
  }
  const { reported: r, server: s } = d;
  figure('peers-online', s.peersOnline, String(s.peersOnline));
  figure('joins', s.joins, String(s.joins));
  figure('relays', s.relays, String(s.relays));
  figure('connections', s.connections, String(s.connections));
  figure('bytes-from-peers', r.peer, bytes(r.peer));
  figure('bytes-from-origin', r.origin, bytes(r.origin));
  figure('bytes-from-cache', r.cache, bytes(r.cache));
  figure('bytes-uploaded', r.uploaded, bytes(r.uploaded));
  figure('saved-today', r.peerBytesToday, bytes(r.peerBytesToday));
  const share = r.peer + r.origin > 0 ? r.peer / (r.peer + r.origin) : 0;
  figure('p2p-share', share, `${(share * 100).toFixed(1)} %`);
  figure('bad-pieces', r.badPieces, String(r.badPieces));
  figure('bans', r.bans, String(r.bans));
  figure('failures', r.failures, String(r.failures));
  figure('reports', r.reports, String(r.reports));

  const at = (f: keyof DashboardData['series']) => (x: DashboardData, i: number) => x.series[f][i] ?? 0;
  draw(
    'chart-peers',
    d,
    chart('chart-peers', 'Peers online (server-counted, peak per minute)', [
      { label: 'peers', stroke: '#2563eb', value: at('peersOnline') },
    ]),
  );
  draw(
    'chart-bytes',
    d,
    chart(
      'chart-bytes',
      'Bytes per minute by source (visitor-reported)',
      [
        { label: 'peers', stroke: '#16a34a', value: at('peer') },
        { label: 'origin', stroke: '#dc2626', value: at('origin') },
        { label: 'cache', stroke: '#9ca3af', value: at('cache') },
        { label: 'web seed', stroke: '#f59e0b', value: at('webSeed') },
        { label: 'uploaded', stroke: '#7c3aed', value: at('uploaded') },
      ],
      bytes,
    ),
  );
  draw(
    'chart-share',
    d,
    chart('chart-share', 'P2P share per minute (peers / (peers + origin))', [
      {
        label: 'share %',
        stroke: '#0d9488',
        value: (x, i) => {
          const p = x.series.peer[i] ?? 0;
          const o = x.series.origin[i] ?? 0;
          return p + o > 0 ? (100 * p) / (p + o) : 0;
        },
      },
    ]),
  );
  draw(
    'chart-faults',
    d,
    chart('chart-faults', 'Bad pieces, bans, failed requests per minute (visitor-reported)', [
      { label: 'bad pieces', stroke: '#b91c1c', value: at('badPieces') },
      { label: 'bans', stroke: '#111827', value: at('bans') },
      { label: 'failures', stroke: '#f97316', value: at('failures') },
    ]),
  );

  const rows = d.top.map((a) => {
    const tr = document.createElement('tr');
    const path = document.createElement('td');
    path.textContent = a.path;
    path.title = a.hash;
    const n = document.createElement('td');
    n.textContent = bytes(a.peer);
    tr.append(path, n);
    return tr;
  });
  el('top').replaceChildren(...rows);
  el('updated').textContent = new Date(d.now).toLocaleTimeString();
  document.body.dataset.state = 'live';
}

async function poll(): Promise<void> {
  const query = swarm ? `?swarm=${encodeURIComponent(swarm)}` : '';
  try {
    const response = await fetch(`${DEFAULT_DASHBOARD_PATH}/data${query}`, { headers: auth, cache: 'no-store' });
    if (!response.ok) {
      el('status').textContent = `the server answered ${response.status}`;
      document.body.dataset.state = 'refused';
      return;
    }
    el('status').textContent = '';
    render((await response.json()) as DashboardData);
  } catch (error) {
    el('status').textContent = `cannot reach the server: ${String(error)}`;
  }
}

el<HTMLSelectElement>('swarms').addEventListener('change', (event) => {
  swarm = (event.target as HTMLSelectElement).value;
  history.replaceState(null, '', `${location.pathname}?swarm=${encodeURIComponent(swarm)}`);
  void poll();
});

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-mode]')) {
  button.addEventListener('click', async () => {
    const target = swarm ?? el('swarm').textContent ?? '';
    const current = (await (await fetch(DEFAULT_P2P_PATH, { headers: auth })).json()) as { modes: Record<string, string> };
    const modes = { ...current.modes, [target]: button.dataset.mode };
    await fetch(`${DEFAULT_P2P_PATH}?swarm=${encodeURIComponent(target)}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify(modes),
    });
    void poll();
  });
}

void poll();
setInterval(() => void poll(), DASHBOARD_POLL_MS);
