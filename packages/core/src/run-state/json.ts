/** JSON values as run state stores them, and the checks that name where a stored value is wrong. */

/** JSON-serialisable values a checkpoint stores. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** `value` as a plain object, or an error naming `source` and what was expected. */
export function expectObject(value: unknown, source: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${source}: expected ${what} as a JSON object, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value as Record<string, unknown>;
}

/** Throws unless `value` is an integer >= `min`, naming `source`. */
export function expectInteger(value: unknown, source: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${source}: expected an integer >= ${min}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

/** Throws unless `value` is a number or null, naming `source`. */
export function expectNumberOrNull(value: unknown, source: string): number | null {
  if (value !== null && typeof value !== 'number') {
    throw new Error(`${source}: expected a number or null, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}
