/**
 * page-bridge/signal-client.ts against a fake WebSocket the test answers as the server would:
 * what the client sends (every frame must pass the server's decoder), what it hands on, how it
 * waits, and how it reconnects. Timers are mocked where the client waits seconds.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SignalClient, type SignalClientOptions, type SignalState } from '../../page-bridge/signal-client.ts';
import { INTRODUCE_ON_JOIN, MAX_HAVE_PER_MESSAGE, PING_INTERVAL_MS } from '../../protocol/limits.ts';
import type { ServerMessage } from '../../protocol/signal-messages.ts';
import { tick } from './support/bridge-fakes.ts';
import { type FakeSocket, installFakeWebSocket } from './support/fake-websocket.ts';

const ME = 'me_AAAAAAAAAAAAAAAAAAAA';
const HOLDER = 'holder_BBBBBBBBBBBBBBBB';
const hash = (n: number): string => n.toString(16).padStart(64, '0');
const JOINED: ServerMessage = { type: 'joined', peerId: ME, swarmSize: 2, peers: [] };

interface Started {
  client: SignalClient;
  sockets: FakeSocket[];
  states: SignalState[];
  received: ServerMessage[];
  /** The socket the client opened last, opened by the "server". */
  accept(): FakeSocket;
}

/** A started client on fake sockets, stopped when the test ends. `have`: what it announces on each join. */
function start(t: TestContext, options: Partial<SignalClientOptions> & { have?: string[] } = {}): Started {
  const sockets = installFakeWebSocket(t);
  const states: SignalState[] = [];
  const received: ServerMessage[] = [];
  const client = new SignalClient({
    url: 'wss://signal.example/peer-connect/signal',
    swarm: 'site.example',
    peerId: ME,
    newPeerId: () => 'fresh_CCCCCCCCCCCCCCCCCC',
    joinState: async () => ({ have: options.have ?? [], offers: [] }),
    held: () => options.have ?? [],
    onMessage: (m) => void received.push(m),
    onState: (s) => void states.push(s),
    ...options,
  });
  client.start();
  t.after(async () => {
    client.stop();
    // The socket's close lands on the next turn: let it, so nothing of this test runs in the next.
    await new Promise((resolve) => setImmediate(resolve));
  });
  const accept = (): FakeSocket => {
    const socket = sockets[sockets.length - 1];
    if (!socket) throw new Error('no socket');
    socket.accept();
    return socket;
  };
  return { client, sockets, states, received, accept };
}

/**
 * Resolves once the client sent its join on `socket` (after its async joinState). Polls on
 * setImmediate, which the tests never mock, so it works under mocked timers too.
 */
async function joinSent(socket: FakeSocket): Promise<void> {
  for (let i = 0; i < 100 && !socket.sent.some((m) => m.type === 'join'); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(socket.sent[0]?.type, 'join', 'the client joined');
}

describe('SignalClient: joining', () => {
  it('joins on open: the swarm in the URL, our id, a first batch of haves, no offers yet, introductions asked; the rest of the haves after `joined`', async (t) => {
    const have = Array.from({ length: MAX_HAVE_PER_MESSAGE + 3 }, (_, i) => hash(i));
    const s = start(t, { have });
    assert.equal(s.sockets[0]?.url, 'wss://signal.example/peer-connect/signal?swarm=site.example');
    const socket = s.accept();
    await joinSent(socket);
    assert.deepEqual(socket.sent[0], {
      type: 'join',
      swarm: 'site.example',
      peerId: ME,
      have: have.slice(0, MAX_HAVE_PER_MESSAGE),
      offers: [],
      introduce: INTRODUCE_ON_JOIN,
    });
    assert.equal(s.client.send({ type: 'ping' }), false, 'nothing but the join before `joined`');
    socket.deliver(JOINED);
    assert.deepEqual(s.states, ['connecting', 'open']);
    assert.deepEqual(socket.sent.slice(1), [{ type: 'have', have: have.slice(MAX_HAVE_PER_MESSAGE) }]);
    assert.deepEqual(s.received, [JOINED]);
  });

  it('what was stored or lost while the join was on its way is announced once `joined` comes (an announce before it goes nowhere)', async (t) => {
    // A loaded CI run: a gallery's images were stored between the join's listing and the server's
    // `joined`; their `have`s were dropped and no newcomer ever found this tab as their holder.
    let held = [hash(1), hash(2)];
    const s = start(t, { have: held, held: () => held });
    const socket = s.accept();
    await joinSent(socket);
    held = [hash(2), hash(3), hash(4)];
    s.client.announce('have', [hash(3)]);
    s.client.announce('lost', [hash(1)]);
    assert.equal(socket.sent.length, 1, 'nothing but the join before `joined`');
    socket.deliver(JOINED);
    assert.deepEqual(socket.sent.slice(1), [
      { type: 'have', have: [hash(3), hash(4)] },
      { type: 'lost', have: [hash(1)] },
    ]);
    // Caught up once per join: a second `joined` on the same socket re-sends nothing, whatever changed.
    held = [hash(5)];
    socket.deliver(JOINED);
    assert.equal(socket.sent.length, 3);
  });

  it('announce batches what the server accepts in one message', async (t) => {
    const s = start(t);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    s.client.announce(
      'lost',
      Array.from({ length: MAX_HAVE_PER_MESSAGE + 1 }, (_, i) => hash(i)),
    );
    assert.deepEqual(
      socket.sent.slice(1).map((m) => (m.type === 'lost' ? m.have.length : m.type)),
      [MAX_HAVE_PER_MESSAGE, 1],
    );
  });

  it('whenOpen: true once joined, false when not joined in time, false at once after a failure', async (t) => {
    const s = start(t);
    assert.equal(await s.client.whenOpen(10), false);
    const opened = s.client.whenOpen(5_000);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    assert.equal(await opened, true);
    socket.drop();
    const started = Date.now();
    assert.equal(await s.client.whenOpen(5_000), false, 'requests do not wait on reconnects');
    assert.ok(Date.now() - started < 1_000);
  });

  it('a message the decoder refuses is dropped; others reach onMessage', async (t) => {
    const s = start(t);
    const socket = s.accept();
    t.mock.method(console, 'warn', () => undefined);
    socket.deliver('{"type":"joined","peerId":"short"}');
    socket.deliver('not json');
    socket.deliver({ type: 'pong' });
    assert.deepEqual(s.received, [{ type: 'pong' }]);
  });
});

describe('SignalClient: want', () => {
  it('asks the server and resolves with the holders it names', async (t) => {
    const s = start(t);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    const asked = s.client.want(hash(7), [HOLDER]);
    assert.deepEqual(socket.sent.at(-1), { type: 'want', hash: hash(7), exclude: [HOLDER] });
    socket.deliver({ type: 'peers', hash: hash(7), peers: [{ peerId: HOLDER }] });
    assert.deepEqual(await asked, { peers: [{ peerId: HOLDER }] });
  });

  it('with `fetching`, registers as a fetcher and resolves with the fetchers and its rank', async (t) => {
    const s = start(t);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    const asked = s.client.want(hash(8), [], true);
    assert.deepEqual(socket.sent.at(-1), { type: 'want', hash: hash(8), exclude: [], fetching: true });
    socket.deliver({ type: 'peers', hash: hash(8), peers: [{ peerId: HOLDER, fetching: true }], rank: 1 });
    assert.deepEqual(await asked, { peers: [{ peerId: HOLDER, fetching: true }], rank: 1 });
  });

  it('resolves with no holders when not joined, when unanswered for 2 s, or when the socket closes', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    const s = start(t);
    assert.deepEqual(await s.client.want(hash(1), []), { peers: [] }, 'not joined: nothing asked');
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    const unanswered = s.client.want(hash(2), []);
    t.mock.timers.tick(2_000);
    assert.deepEqual(await unanswered, { peers: [] });
    const cut = s.client.want(hash(3), []);
    socket.drop();
    assert.deepEqual(await cut, { peers: [] });
  });
});

describe('SignalClient: staying connected', () => {
  it(`pings every ${PING_INTERVAL_MS / 1000} s while joined`, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    const s = start(t);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    t.mock.timers.tick(PING_INTERVAL_MS * 2);
    assert.deepEqual(socket.sent.slice(1), [{ type: 'ping' }, { type: 'ping' }]);
  });

  it('a dropped connection is retried after a backoff, and the new join announces afresh', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    let joins = 0;
    const s = start(t, { joinState: async () => ({ have: [hash(++joins)], offers: [] }) });
    const first = s.accept();
    await joinSent(first);
    first.deliver(JOINED);
    first.drop();
    assert.deepEqual(s.states, ['connecting', 'open', 'closed']);
    assert.equal(s.sockets.length, 1, 'not at once');
    t.mock.timers.tick(1_250); // the first backoff: 1 s ± 25 %
    assert.equal(s.sockets.length, 2);
    const second = s.accept();
    await joinSent(second);
    assert.deepEqual(second.sent[0]?.type === 'join' ? second.sent[0].have : null, [hash(2)]);
  });

  it('after `duplicate-peer-id` the next join comes under a new id', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    t.mock.method(console, 'warn', () => undefined);
    const s = start(t);
    const first = s.accept();
    await joinSent(first);
    first.deliver({ type: 'error', code: 'duplicate-peer-id', message: 'taken' });
    first.drop();
    t.mock.timers.tick(1_250);
    const second = s.accept();
    await joinSent(second);
    assert.equal(second.sent[0]?.type === 'join' ? second.sent[0].peerId : null, 'fresh_CCCCCCCCCCCCCCCCCC');
  });

  it('stop closes the socket and never reconnects', async (t) => {
    const s = start(t);
    const socket = s.accept();
    await joinSent(socket);
    socket.deliver(JOINED);
    s.client.stop();
    assert.deepEqual(socket.closedWith, { code: 1000, reason: 'bye' });
    await tick(5);
    assert.equal(s.sockets.length, 1);
    assert.equal(s.client.state, 'closed');
  });
});
