/** page-bridge/worker-messages.ts: what the worker posts to the window reaches one handler each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispatchWorkerMessage, type WorkerMessageHandlers } from '../../page-bridge/worker-messages.ts';

const H = 'd'.repeat(64);
const BUILD = 'e'.repeat(20);

/** Handlers that record each call as `[name, ...args]`. */
function recording(): { handlers: WorkerMessageHandlers; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const handlers: WorkerMessageHandlers = {
    helloAsked: () => void calls.push(['helloAsked']),
    welcome: (build) => void calls.push(['welcome', build]),
    fetch: (request, port) => void calls.push(['fetch', request, port]),
    stored: (hash) => void calls.push(['stored', hash]),
    pieceStored: (hash, index) => void calls.push(['pieceStored', hash, index]),
    fetching: (hash) => void calls.push(['fetching', hash]),
    lost: (hashes) => void calls.push(['lost', hashes]),
    served: (report) => void calls.push(['served', report]),
  };
  return { handlers, calls };
}

describe('dispatchWorkerMessage', () => {
  it('hands each message of the worker to its handler, decoded', () => {
    const { handlers, calls } = recording();
    const { port1 } = new MessageChannel();
    const served = { pc: 'served', path: 'a.png', hash: H, bytes: { peer: 1, origin: 2, cache: 3 }, ms: 4, status: 200 };
    for (const data of [
      { pc: 'hello?' },
      { pc: 'welcome', build: BUILD },
      { pc: 'stored', hash: H },
      { pc: 'piece-stored', hash: H, index: 3 },
      { pc: 'fetching', hash: H },
      { pc: 'lost', hashes: [H] },
      served,
    ]) {
      dispatchWorkerMessage({ data, ports: [] }, handlers);
    }
    dispatchWorkerMessage({ data: { pc: 'fetch', hash: H, size: 10, pieces: [0] }, ports: [port1] }, handlers);
    port1.close();
    assert.deepEqual(calls, [
      ['helloAsked'],
      ['welcome', BUILD],
      ['stored', H],
      ['pieceStored', H, 3],
      ['fetching', H],
      ['lost', [H]],
      ['served', served],
      ['fetch', { pc: 'fetch', hash: H, size: 10, pieces: [0] }, port1],
    ]);
  });

  it('drops a fetch without its port, and anything it cannot decode', () => {
    const { handlers, calls } = recording();
    dispatchWorkerMessage({ data: { pc: 'fetch', hash: H, size: 10, pieces: [0] }, ports: [] }, handlers);
    for (const data of [
      null,
      'hello?',
      { pc: 'stored', hash: 'nope' },
      { pc: 'piece-stored', hash: H, index: -1 },
      { pc: 'welcome' },
      { pc: 'hello' },
    ])
      dispatchWorkerMessage({ data, ports: [] }, handlers);
    assert.deepEqual(calls, []);
  });
});
