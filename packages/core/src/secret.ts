const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A secret string (a PSK) that prints as `[redacted]` everywhere: `String()`, template strings, `JSON.stringify`,
 * `util.inspect` and `console.log`. Reading the value takes an explicit `reveal()`.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    // Frozen so no caller can attach an enumerable copy of the value to the instance.
    Object.freeze(this);
  }

  /** The secret itself. Call it only where the value must leave the process (a 0600 file, a device config). */
  reveal(): string {
    return this.#value;
  }

  /** Its length, which is safe to show and helps check a key was copied whole. */
  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return `Secret(${REDACTED})`;
  }
}
