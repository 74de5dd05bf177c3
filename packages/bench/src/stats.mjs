// Small statistics and formatting helpers shared by every figure.

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median and range of a list of numbers: what every figure reports, because one noisy run is not a result. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** Rotates `items` by `round`, so that across rounds no contender always runs first (or last). */
export function rotate(items, round) {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** "1.23× (1.10–1.40)": a per-round ratio's median and range. */
export function ratioText(summary) {
  if (summary.n === 1 || summary.min === summary.max) return `${fixed(summary.median, 2)}×`;
  return `${fixed(summary.median, 2)}× (${fixed(summary.min, 2)}–${fixed(summary.max, 2)})`;
}

/** "12.3 (11.0–14.1)": a value's median and range. */
export function rangeText(summary, digits) {
  if (summary.n === 1 || summary.min === summary.max) return fixed(summary.median, digits);
  return `${fixed(summary.median, digits)} (${fixed(summary.min, digits)}–${fixed(summary.max, digits)})`;
}

/** Decimal megabytes (10^6 bytes), as npm reports package sizes. */
export function megabytes(bytes, digits = 2) {
  return fixed(bytes / 1e6, digits);
}

/**
 * "met" or "missed by X%" for a figure that should be at most `target`.
 * X is how far over the target the figure is, relative to the target.
 */
export function verdict(value, target) {
  if (!Number.isFinite(value)) return 'not measured';
  const percent = (share) => fixed(share * 100, share < 0.1 ? 1 : 0);
  if (value <= target) return `met (${percent(1 - value / target)}% under)`;
  return `missed by ${percent(value / target - 1)}%`;
}
