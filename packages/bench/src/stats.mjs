// The few numbers every figure needs: a median, and a median with its range, because one run is not a result.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Each field's median over samples of the same shape. */
export function medians(samples) {
  return Object.fromEntries(
    Object.keys(samples[0]).map((field) => [field, median(samples.map((sample) => sample[field]))]),
  );
}

/** "123 (110–140)": a median and its range, rounded to `digits`. */
export function spread(values, digits = 0) {
  const text = (value) => value.toFixed(digits);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? text(median(values)) : `${text(median(values))} (${text(low)}–${text(high)})`;
}
