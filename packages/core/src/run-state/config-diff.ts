/**
 * A run's configuration, compared on resume: a checkpoint written with other
 * settings than the resuming run's is refused naming the keys, unless those
 * keys were allowed to change.
 */
import type { JsonObject, JsonValue } from './json.js';

/** Nested keys flattened to dotted paths: `{ a: { b: 1 } }` → `{ 'a.b': 1 }`; arrays stay values. */
function flatten(value: JsonValue | undefined, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/** One configuration key whose value differs between a checkpoint and the run resuming it. */
export interface ConfigChange {
  key: string;
  /** JSON of the checkpoint's value; `undefined` when the checkpoint lacks the key. */
  saved?: string;
  /** JSON of the run's value; `undefined` when the run lacks the key. */
  current?: string;
}

/** The keys (dotted for nested objects) whose values differ between two configurations, sorted. */
export function configChanges(saved: JsonObject, current: JsonObject): ConfigChange[] {
  const a = flatten(saved, '', new Map());
  const b = flatten(current, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((key) => ({ key, saved: a.get(key), current: b.get(key) }));
}

/** `key: 4 → 6` lines for an error message. */
export function describeConfigChanges(changes: readonly ConfigChange[]): string {
  return changes.map((c) => `${c.key}: ${c.saved ?? '(absent)'} → ${c.current ?? '(absent)'}`).join(', ');
}

/**
 * Thrown on resume when the checkpoint was written for another configuration
 * than the resuming run's and the differing keys were not allowed to change.
 */
export class ConfigMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly changes: readonly ConfigChange[],
  ) {
    super(
      `checkpoint ${file} was written for another configuration (${describeConfigChanges(changes)}); ` +
        `resume with the checkpoint's values, start a new run, or allow these keys to change ` +
        `(restore(dir, { allowConfigChanges: [${changes.map((c) => `'${c.key}'`).join(', ')}] }))`,
    );
    this.name = 'ConfigMismatchError';
  }
}

/**
 * The differences between a checkpoint's configuration and the run's, after
 * checking that each is allowed (`allowed` keys also cover their nested keys).
 *
 * @throws {ConfigMismatchError} Naming `file` and every refused key.
 */
export function checkConfig(file: string, saved: JsonObject | null, current: JsonObject | null, allowed: readonly string[] = []): ConfigChange[] {
  if (saved === null && current === null) return [];
  const changes = configChanges(saved ?? {}, current ?? {});
  const refused = changes.filter((c) => !allowed.some((k) => c.key === k || c.key.startsWith(`${k}.`)));
  if (refused.length > 0) throw new ConfigMismatchError(file, refused);
  return changes;
}
