// A key's age as people read it: whole days, with the date beside it.

const DAY_MS = 86_400_000;

export const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`;

/** "412 days" and " · 2025-01-15" from an ISO time; "unknown" when Cloudflare reported none. */
export function keyAge(lastGeneratedOn: string | undefined, now: number): { age: string; since: string } {
  const ms = lastGeneratedOn === undefined ? Number.NaN : Date.parse(lastGeneratedOn);
  if (Number.isNaN(ms)) return { age: 'unknown', since: ' · never generated or not reported' };
  const days = Math.max(0, Math.floor((now - ms) / DAY_MS));
  return {
    age: days === 0 ? 'today' : plural(days, 'day'),
    since: ` · ${new Date(ms).toISOString().slice(0, 10)}`,
  };
}

/** One line for the facts: "412 days ago (2025-01-15 09:30 UTC)", "today (…)", or why it is not known. */
export function keyAgeLine(lastGeneratedOn: string | undefined, now: number): string {
  const ms = lastGeneratedOn === undefined ? Number.NaN : Date.parse(lastGeneratedOn);
  if (Number.isNaN(ms)) return 'never generated, or not reported by Cloudflare';
  const days = Math.max(0, Math.floor((now - ms) / DAY_MS));
  const when = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${days === 0 ? 'today' : `${plural(days, 'day')} ago`} (${when})`;
}
