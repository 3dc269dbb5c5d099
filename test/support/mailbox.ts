import type { CapturedMessage } from '../../scripts/mail-capture';

/** Reads the run's mail capture over HTTP, as a person reads an inbox. */
export class Mailbox {
  constructor(private readonly url: string) {}

  async list(to: string): Promise<CapturedMessage[]> {
    const res = await fetch(`${this.url}/api/messages?to=${encodeURIComponent(to)}`);
    if (!res.ok) throw new Error(`mailbox answered ${res.status}`);
    return ((await res.json()) as { messages: CapturedMessage[] }).messages;
  }

  /** Waits until `to` has at least `count` messages matching `match`; returns them, oldest first. */
  async waitFor(to: string, opts: { count?: number; match?: (m: CapturedMessage) => boolean; timeoutMs?: number } = {}): Promise<CapturedMessage[]> {
    const { count = 1, match = () => true, timeoutMs = 20_000 } = opts;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.list(to)).filter(match).reverse();
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} message(s) to ${to} within ${timeoutMs} ms, found ${found.length}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
