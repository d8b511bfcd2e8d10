/** page-bridge/worker-port.ts: the bridge's end of a worker `fetch`, over a real MessageChannel. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerPort } from '../../page-bridge/worker-port.ts';
import { settle, workerEnd } from './support/worker-end.ts';

describe('WorkerPort', () => {
  it("posts each reply as the worker decodes it, a piece's bytes transferred", async (t) => {
    const worker = workerEnd(t);
    const port = new WorkerPort(worker.port);
    const data = new Uint8Array([1, 2, 3]).buffer;
    port.accepted(2);
    port.piece(4, data, 'peer-a');
    port.pieceFailed(5, 'peers failed');
    port.noPeers('signaling off');
    const replies = await worker.received(4);
    assert.equal(data.byteLength, 0, 'transferred, not copied: the bridge no longer holds the bytes');
    assert.deepEqual(
      replies.map((r) => (r.pc === 'piece' ? { ...r, data: [...new Uint8Array(r.data)] } : r)),
      [
        { pc: 'accepted', peers: 2 },
        { pc: 'piece', index: 4, data: [1, 2, 3], peerId: 'peer-a' },
        { pc: 'piece-failed', index: 5, reason: 'peers failed' },
        { pc: 'no-peers', reason: 'signaling off' },
      ],
    );
  });

  it('hands on a bad-piece report with its index and peer', async (t) => {
    const worker = workerEnd(t);
    const bad: Array<[number, string]> = [];
    new WorkerPort(worker.port, { onBadPiece: (index, peerId) => bad.push([index, peerId]) });
    worker.send({ pc: 'bad-piece', index: 3, peerId: 'liar' });
    await settle();
    assert.deepEqual(bad, [[3, 'liar']]);
  });

  it('after the worker cancels: cancelled, told once, and later replies are dropped', async (t) => {
    const worker = workerEnd(t);
    let cancels = 0;
    const port = new WorkerPort(worker.port, { onCancel: () => cancels++ });
    port.accepted(1);
    await worker.received(1);
    worker.send({ pc: 'cancel' });
    await settle();
    assert.equal(port.cancelled, true);
    assert.equal(cancels, 1);
    const data = new Uint8Array(8).buffer;
    port.piece(0, data, 'peer-a');
    await settle();
    assert.equal(worker.replies.length, 1);
    assert.equal(data.byteLength, 8, 'a dropped piece is not transferred either');
  });

  it('ignores feedback it cannot decode', async (t) => {
    const worker = workerEnd(t);
    let called = 0;
    const port = new WorkerPort(worker.port, { onCancel: () => called++, onBadPiece: () => called++ });
    for (const junk of [null, 'cancel', { pc: 'bad-piece', index: -1, peerId: 'x' }, { pc: 'stop' }]) worker.send(junk);
    await settle();
    assert.equal(called, 0);
    assert.equal(port.cancelled, false);
  });
});
