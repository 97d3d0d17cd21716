/**
 * Run state as one piece. Everything a resumed run must remember belongs to
 * one stateful part — the trainer itself (step, optimizer state), early
 * stopping, the best-model saver, the data stream's position — and each part
 * saves and restores its own state under its own key of the checkpoint, as
 * PyTorch Lightning's callbacks do with `state_dict()`. The trainer collects
 * them all, so no caller threads state by hand.
 */

/** JSON-serialisable values a checkpoint stores. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The checkpoint sections, one per stateful part, in `state.json`'s `sections`. */
export const CHECKPOINT_SECTIONS = ['trainer', 'earlyStopping', 'bestModel', 'data', 'user'] as const;

/** A key of {@link CHECKPOINT_SECTIONS}. */
export type CheckpointSection = (typeof CHECKPOINT_SECTIONS)[number];

/**
 * Something a training run must remember across a restart. Restoring is in
 * two phases so that a checkpoint that does not fit any one part changes
 * nothing: every part checks its section first, then every part takes it.
 */
export interface StatefulPart {
  /** Its checkpoint section. */
  readonly stateKey: CheckpointSection;
  /** Its state now, as JSON. */
  getState(): JsonValue;
  /**
   * Throws if `state` cannot be restored into this part (wrong shape, another
   * monitored score...), naming `source` (the file and section) and the value.
   */
  checkState(state: unknown, source: string): void;
  /** Takes a state that passed {@link StatefulPart.checkState}. */
  setState(state: unknown, source: string): void;
}

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
 * Thrown by `Trainer.restore` when the checkpoint was written for another
 * configuration than the resuming run's and the differing keys were not
 * allowed to change.
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
