/**
 * Polls `read` until `accept` holds or the time runs out, then returns the last value so that
 * the caller's own expect() reports what was seen. For states that follow an observable event
 * (an email arrives a moment before the activity that sent it records the new status).
 */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
