/** One rotation per tunnel at a time: a second caller is refused rather than queued behind a human. */
export class TunnelLocks {
  private readonly held = new Set<string>();

  /** Takes the lock, or returns undefined when a rotation of this tunnel is already running. */
  tryAcquire(accountId: string, tunnelId: string): (() => void) | undefined {
    const key = `${accountId}/${tunnelId}`;
    if (this.held.has(key)) return undefined;
    this.held.add(key);
    return () => this.held.delete(key);
  }
}
