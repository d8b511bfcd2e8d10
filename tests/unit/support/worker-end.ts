/**
 * The worker's end of a bridge `fetch` port, for the bridge's unit tests: a real MessageChannel
 * (Node has it), the bridge gets `port`, the test reads every reply the worker would receive,
 * decoded as the worker decodes them, and sends the worker's feedback.
 */
import type { TestContext } from 'node:test';
import { type BridgeReply, decodeBridgeReply, type WorkerFeedback } from '../../../protocol/bridge-messages.ts';

export interface WorkerEnd {
  /** The bridge's end: hand it to the code under test. */
  port: MessagePort;
  /** Every reply received so far, in order. */
  readonly replies: BridgeReply[];
  /** Resolves once `count` replies have arrived (rejects after `ms`, naming what did arrive). */
  received(count: number, ms?: number): Promise<BridgeReply[]>;
  /** Posts the worker's feedback (`cancel`, `bad-piece`), or anything else a page could post, to the bridge. */
  send(feedback: WorkerFeedback | unknown): void;
}

/**
 * Closed when test `t` ends, passed or failed: an open port keeps Node's event loop alive, so a
 * failed test that never reached its own close would hang the run.
 */
export function workerEnd(t: TestContext): WorkerEnd {
  const channel = new MessageChannel();
  t.after(() => {
    channel.port1.close();
    channel.port2.close();
  });
  const replies: BridgeReply[] = [];
  let wake: () => void = () => undefined;
  channel.port2.onmessage = (event: MessageEvent) => {
    const reply = decodeBridgeReply(event.data);
    if (!reply.ok) throw new Error(`the bridge sent a reply the worker cannot decode: ${reply.error}`);
    replies.push(reply.value);
    wake();
  };
  return {
    port: channel.port1,
    replies,
    received: async (count, ms = 5_000) => {
      const deadline = Date.now() + ms;
      while (replies.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${replies.length} of ${count} replies: ${JSON.stringify(replies.map((r) => r.pc))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return replies.slice(0, count);
    },
    send: (feedback) => channel.port2.postMessage(feedback),
  };
}

/**
 * Lets queued port messages and promise callbacks run: event-loop turns, not milliseconds, so a
 * busy machine does not make it too short (a message posted before it is handled within a turn).
 */
export { settleTasks as settle } from './fake-clock.ts';
