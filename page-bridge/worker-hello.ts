/**
 * Tells the worker controlling this window that a bridge listens here, and which build its page is
 * (`hello`), and keeps the promise of its `welcome`: the worker serves only pages whose build it
 * knows, so first-visit elements are put back only once it answered (see first-visit.ts).
 */
import type { BridgeToWorker } from '../protocol/bridge-messages.ts';

export class WorkerHello {
  private welcome: Promise<void> = Promise.resolve();
  private welcomed: () => void = () => undefined;

  /**
   * `p2p`: whether P2P runs in this page now (the worker asks only bridges that do);
   * `passThrough`: whether the site turned P2P off (the worker then answers none of its requests).
   */
  constructor(
    private readonly pageBuild: string,
    private readonly p2p: () => boolean,
    private readonly passThrough: () => boolean = () => false,
  ) {}

  /**
   * Now, whenever a new worker takes control, when a restarted worker asks, and when P2P starts or
   * stops; a no-op without a controller.
   */
  say(): void {
    const controller = navigator.serviceWorker?.controller;
    if (!controller) return;
    this.welcome = new Promise((resolve) => (this.welcomed = resolve));
    const passThrough = this.passThrough();
    controller.postMessage({
      pc: 'hello',
      build: this.pageBuild,
      p2p: this.p2p(),
      ...(passThrough ? { passThrough } : {}),
    } satisfies BridgeToWorker);
  }

  /** The worker's `welcome` arrived. */
  onWelcome(): void {
    this.welcomed();
  }

  /** Resolves on the welcome to the latest hello, or after `ms` (an older worker may never answer). */
  welcomedWithin(ms: number): Promise<void> {
    return Promise.race([this.welcome, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  }
}
