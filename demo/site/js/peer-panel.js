/*
 * A small live panel showing PeerConnect's counters on every page of the demo site.
 *
 * Contract (from the page bridge):
 *   window.peerConnect.stats() -> { peerId, swarm, signaling: 'connecting'|'open'|'closed'|'off',
 *     peers, bytesFromPeers, bytesFromOrigin, bytesFromCache, bytesUploaded, failures, badPieces }
 *   window 'peerconnect:update' CustomEvent, detail = that same object, whenever it changes.
 *
 * The panel reads stats() once at start (and again at window load, in case the bridge's script
 * runs after this one), then follows the events. Without PeerConnect it says so. It never throws:
 * every value from outside is checked, and every call into the bridge is guarded.
 */
(function () {
  'use strict';

  var EVENT = 'peerconnect:update';
  var SIGNALING = { connecting: 'connecting', open: 'open', closed: 'closed', off: 'off' };

  var panel = null;
  var fields = {};
  var active = false;
  var collapsed = false;

  function num(v) {
    return typeof v === 'number' && isFinite(v) && v >= 0 ? v : 0;
  }

  function str(v, max) {
    if (typeof v !== 'string') return '';
    return v.length > max ? v.slice(0, max) + '…' : v;
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var u = -1;
    do {
      n /= 1024;
      u++;
    } while (n >= 1024 && u < units.length - 1);
    return (n >= 100 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[u];
  }

  function percent(part, whole) {
    if (whole <= 0) return '—';
    var p = (100 * part) / whole;
    return (p > 0 && p < 10 ? p.toFixed(1) : p.toFixed(0)) + '%';
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }

  function build() {
    if (panel || !document.body) return;
    panel = el('details', 'peer-panel');
    panel.open = !collapsed;
    panel.setAttribute('data-state', 'inactive');
    panel.setAttribute('aria-live', 'off');
    panel.addEventListener('toggle', function () {
      collapsed = !panel.open;
    });

    var summary = el('summary');
    summary.appendChild(el('span', 'pp-dot'));
    summary.appendChild(el('span', 'pp-title', 'PeerConnect'));
    fields.share = el('span', 'pp-share', '');
    summary.appendChild(fields.share);
    panel.appendChild(summary);

    var body = el('div', 'pp-body');
    fields.inactive = el('p', 'pp-inactive', 'PeerConnect not active');
    body.appendChild(fields.inactive);

    fields.bar = el('div', 'pp-bar');
    fields.bar.setAttribute('aria-hidden', 'true');
    fields.barPeers = el('span', 'pp-peers');
    fields.barCache = el('span', 'pp-cache');
    fields.barOrigin = el('span', 'pp-origin');
    fields.bar.appendChild(fields.barPeers);
    fields.bar.appendChild(fields.barCache);
    fields.bar.appendChild(fields.barOrigin);
    body.appendChild(fields.bar);

    var dl = el('dl');
    var rows = [
      ['signaling', 'Signaling'],
      ['peers', 'Peers'],
      ['p2p', 'P2P share'],
      ['fromPeers', 'From peers'],
      ['fromCache', 'From cache'],
      ['fromOrigin', 'From origin'],
      ['uploaded', 'Uploaded'],
      ['failures', 'Failures'],
      ['badPieces', 'Bad pieces'],
      ['peerId', 'Peer id'],
      ['swarm', 'Swarm'],
    ];
    for (var i = 0; i < rows.length; i++) {
      dl.appendChild(el('dt', null, rows[i][1]));
      fields[rows[i][0]] = el('dd', 'pp-' + rows[i][0], '');
      dl.appendChild(fields[rows[i][0]]);
    }
    fields.list = dl;
    body.appendChild(dl);
    panel.appendChild(body);
    document.body.appendChild(panel);
    render(null);
  }

  function render(s) {
    if (!panel) return;
    if (!s) {
      panel.setAttribute('data-state', 'inactive');
      fields.inactive.hidden = false;
      fields.bar.hidden = true;
      fields.list.hidden = true;
      fields.share.textContent = 'not active';
      return;
    }
    var fromPeers = num(s.bytesFromPeers);
    var fromOrigin = num(s.bytesFromOrigin);
    var fromCache = num(s.bytesFromCache);
    var total = fromPeers + fromOrigin + fromCache;
    var signaling = SIGNALING[s.signaling] || 'off';
    var share = percent(fromPeers, total);

    panel.setAttribute('data-state', signaling);
    fields.inactive.hidden = true;
    fields.bar.hidden = false;
    fields.list.hidden = false;
    fields.share.textContent = total > 0 ? share + ' P2P' : signaling;

    fields.barPeers.style.width = total > 0 ? (100 * fromPeers) / total + '%' : '0';
    fields.barCache.style.width = total > 0 ? (100 * fromCache) / total + '%' : '0';
    fields.barOrigin.style.width = total > 0 ? (100 * fromOrigin) / total + '%' : '0';

    fields.signaling.textContent = signaling;
    fields.peers.textContent = String(num(s.peers));
    fields.p2p.textContent = share;
    fields.fromPeers.textContent = bytes(fromPeers);
    fields.fromCache.textContent = bytes(fromCache);
    fields.fromOrigin.textContent = bytes(fromOrigin);
    fields.uploaded.textContent = bytes(num(s.bytesUploaded));
    fields.failures.textContent = String(num(s.failures));
    fields.badPieces.textContent = String(num(s.badPieces));
    var id = str(s.peerId, 64);
    var swarm = str(s.swarm, 64);
    fields.peerId.textContent = id ? str(id, 12) : '—';
    fields.peerId.title = id;
    fields.swarm.textContent = swarm ? str(swarm, 12) : '—';
    fields.swarm.title = swarm;
  }

  function update(s) {
    if (!s || typeof s !== 'object') return;
    active = true;
    try {
      build();
      render(s);
    } catch (e) {
      /* a display problem must never disturb the page */
    }
  }

  function readOnce() {
    var api;
    try {
      api = window.peerConnect;
      if (!api || typeof api.stats !== 'function') return;
      var s = api.stats();
      if (s && typeof s.then === 'function') {
        s.then(update, function () {});
      } else {
        update(s);
      }
    } catch (e) {
      /* the bridge is absent or failing: the panel keeps saying so */
    }
  }

  window.addEventListener(EVENT, function (ev) {
    update(ev && ev.detail);
  });

  function start() {
    try {
      build();
      if (!active) render(null);
    } catch (e) {
      /* ignore */
    }
    readOnce();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
  window.addEventListener('load', readOnce);
})();
