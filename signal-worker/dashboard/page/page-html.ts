/**
 * The dashboard's HTML: a static shell (no data in it) that `app.js` fills. Served with a CSP that
 * allows only our own script and requests, and no referrer, so the token in the URL it was opened
 * with goes nowhere else.
 */
import { DEFAULT_DASHBOARD_PATH } from '../../../protocol/routes.ts';

export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const card = (id: string, label: string, note = ''): string =>
  `<div class="card"><div class="label">${label}</div><div class="value" id="${id}">–</div>${note ? `<div class="note">${note}</div>` : ''}</div>`;

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>PeerConnect dashboard</title>
<link rel="stylesheet" href="${DEFAULT_DASHBOARD_PATH}/app.css">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:16px 24px;background:#f8fafc;color:#0f172a}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 8px}
.bar{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin-bottom:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px}
.label{color:#475569;font-size:12px}.value{font-size:22px;font-weight:600}.note{color:#64748b;font-size:11px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.chart{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:6px;min-height:260px}
table{border-collapse:collapse;background:#fff}td{border:1px solid #e2e8f0;padding:4px 8px;font-family:ui-monospace,monospace}
#status{color:#b91c1c}
</style></head>
<body data-state="loading">
<h1>PeerConnect</h1>
<div class="bar">swarm <strong id="swarm">–</strong> <select id="swarms" aria-label="swarm"></select>
P2P <strong id="mode">–</strong>
<button data-mode="on">on</button><button data-mode="download-only">download-only</button><button data-mode="off">off</button>
<span>updated <span id="updated">–</span></span> <span id="status"></span></div>
<h2>Counted by the server</h2>
<div class="cards">${card('peers-online', 'Peers online')}${card('joins', 'Joins')}${card('relays', 'Relays')}${card('connections', 'Signaling sockets')}</div>
<h2>Reported by visitors <small>(unverified: any visitor can lie)</small></h2>
<div class="cards">${card('saved-today', 'Origin bytes saved today', 'bytes from peers since 00:00 UTC')}${card('p2p-share', 'P2P share', 'peers / (peers + origin)')}${card(
    'bytes-from-peers',
    'From peers',
  )}${card('bytes-from-origin', 'From the origin')}${card('bytes-from-cache', 'From the store')}${card('bytes-uploaded', 'Uploaded')}${card(
    'bad-pieces',
    'Bad pieces',
  )}${card('bans', 'Bans')}${card('failures', 'Failed requests')}${card('reports', 'Reports')}</div>
<h2>Last 24 hours</h2>
<div class="charts"><div class="chart" id="chart-peers"></div><div class="chart" id="chart-bytes"></div><div class="chart" id="chart-share"></div><div class="chart" id="chart-faults"></div></div>
<h2>Top assets by bytes from peers</h2>
<table><tbody id="top"></tbody></table>
<script src="${DEFAULT_DASHBOARD_PATH}/app.js"></script>
</body></html>`;
}
