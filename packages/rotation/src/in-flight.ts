/**
 * The calls running in a process, whichever engine (one per HTTP session or request, one per principal) started
 * them: a shutdown waits for all of them, so no key is abandoned between Cloudflare and its file.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Tracks a call until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    this.running.add(call);
    return call.finally(() => this.running.delete(call));
  }

  /** How many calls are running. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves once no call is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
