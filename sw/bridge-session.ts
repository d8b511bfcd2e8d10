/**
 * The worker's side of one piece request to a page bridge, over a MessageChannel. The bridge
 * sends pieces as they arrive (transferred); the worker reports bad pieces and cancels when done.
 */
import { type BridgeReply, decodeBridgeReply, type WorkerFeedback, type WorkerToBridge } from '../protocol/bridge-messages.ts';

import { readyBridge } from './client-registry.ts';

declare const self: ServiceWorkerGlobalScope;

export interface BridgeSession {
  report(feedback: WorkerFeedback): void;
  close(): void;
}

export async function openBridgeSession(
  clientId: string,
  request: Extract<WorkerToBridge, { pc: 'fetch' }>,
  onReply: (reply: BridgeReply) => void,
  urgent: boolean,
): Promise<BridgeSession | null> {
  const client = await readyBridge(clientId, urgent);
  if (!client) return null;
  const channel = new MessageChannel();
  let open = true;
  channel.port1.onmessage = (event: MessageEvent) => {
    if (!open) return;
    const reply = decodeBridgeReply(event.data);
    if (reply.ok) onReply(reply.value);
    else onReply({ pc: 'no-peers', reason: `bad reply from bridge: ${reply.error}` });
  };
  client.postMessage(request, [channel.port2]);
  return {
    report: (feedback) => {
      if (open) channel.port1.postMessage(feedback);
    },
    close: () => {
      if (!open) return;
      channel.port1.postMessage({ pc: 'cancel' } satisfies WorkerFeedback);
      open = false;
      channel.port1.close();
    },
  };
}

/** Tells every window that an asset is now stored, so their bridges announce it. */
export async function broadcast(message: WorkerToBridge): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window' });
  for (const w of windows) w.postMessage(message);
}

export async function tell(clientId: string, message: WorkerToBridge): Promise<void> {
  if (!clientId) return;
  const client = await self.clients.get(clientId);
  client?.postMessage(message);
}
