/**
 * The bridge's end of one worker `fetch`: the MessagePort the worker sent with it
 * (protocol/bridge-messages.ts). Replies go out typed, a piece's bytes transferred rather than
 * copied; the worker's feedback comes in decoded. The peer path (piece-requests.ts) and the
 * torrent path (torrent/serve-from-torrent.ts) both answer through it.
 */
import { type BridgeReply, decodeWorkerFeedback } from '../protocol/bridge-messages.ts';

export interface WorkerFeedbackHandlers {
  /** The worker found piece `index`, sent as from `peerId`, wrong (its SHA-256 or length). */
  onBadPiece?(index: number, peerId: string): void;
  /** The worker wants nothing more on this port (it has every piece, or gave up and went to the origin). */
  onCancel?(): void;
}

export class WorkerPort {
  private cancelledByWorker = false;

  constructor(
    private readonly port: MessagePort,
    private readonly handlers: WorkerFeedbackHandlers = {},
  ) {
    port.onmessage = (event: MessageEvent) => this.onFeedback(event.data);
  }

  /** The worker cancelled: replies are dropped from then on. */
  get cancelled(): boolean {
    return this.cancelledByWorker;
  }

  /**
   * Peers (or a torrent) will answer: the worker's deadline becomes the first piece's. `rank`: the
   * fetchers ahead of this tab when the server named no holder (a crowd's worker waits longer).
   */
  accepted(peers: number, rank?: number): void {
    this.post(rank === undefined ? { pc: 'accepted', peers } : { pc: 'accepted', peers, rank });
  }

  /** Nothing here can serve this request: the worker goes to the origin at once. */
  noPeers(reason: string): void {
    this.post({ pc: 'no-peers', reason });
  }

  /** Transfers `data`: the caller must not touch it afterwards. */
  piece(index: number, data: ArrayBuffer, peerId: string): void {
    this.post({ pc: 'piece', index, data, peerId }, [data]);
  }

  /** This piece will not come from here: the worker takes it from the origin. */
  pieceFailed(index: number, reason: string): void {
    this.post({ pc: 'piece-failed', index, reason });
  }

  /** No more replies will be sent. */
  close(): void {
    this.port.close();
  }

  private post(reply: BridgeReply, transfer: Transferable[] = []): void {
    if (!this.cancelledByWorker) this.port.postMessage(reply, transfer);
  }

  private onFeedback(data: unknown): void {
    const feedback = decodeWorkerFeedback(data);
    if (!feedback.ok) return;
    if (feedback.value.pc === 'bad-piece') {
      this.handlers.onBadPiece?.(feedback.value.index, feedback.value.peerId);
      return;
    }
    this.cancelledByWorker = true;
    this.port.close();
    this.handlers.onCancel?.();
  }
}
