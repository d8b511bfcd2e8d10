/** What a test client was sent, awaited one message at a time, in order, each wait with a deadline. */
import { WAIT_MS } from './wait.ts';

export class Inbox<M> {
  private readonly queue: M[] = [];
  private wake: (() => void) | null = null;

  push(message: M): void {
    this.queue.push(message);
    this.wake?.();
  }

  /** The next message; rejects with "no <what> within <ms> ms" when none comes in time. */
  async next(what: string, ms = WAIT_MS): Promise<M> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.queue.shift() as M;
  }
}
