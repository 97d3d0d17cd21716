/**
 * Run state as one piece. Everything a resumed run must remember belongs to
 * one stateful part — the trainer (step, optimizer state), early stopping,
 * the best-model saver, the data stream's position, a user's own part — and
 * each saves and restores its own state under its own key of the checkpoint,
 * as PyTorch Lightning's callbacks do with `state_dict()`. {@link RunState}
 * collects them, so no caller threads state by hand.
 *
 * Restoring is in two phases so that a checkpoint that does not fit any one
 * part changes nothing: every part checks its section first, then every part
 * takes it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from './json.js';

/**
 * Model-shaped tensors a part keeps across a restart (early stopping's best
 * weights), saved as a `.safetensors` file of the checkpoint and checked
 * against the model's weights on restore.
 */
export interface PartWeights {
  /** Its file in the checkpoint folder (`<name>.safetensors`); no other part of the run may use it. */
  readonly file: string;
  /** The tensors now, in the model's weight order, or `null` when it holds none. */
  get(): readonly tf.Tensor[] | null;
  /** Takes over restored tensors (`null`: none were saved), freeing those held before. */
  set(weights: tf.Tensor[] | null): void;
}

/** Something a training run must remember across a restart, saved under its own checkpoint section. */
export interface StatefulPart {
  /** Its checkpoint section: any key no other part of the run uses. */
  readonly stateKey: string;
  /** Its state now, as JSON. */
  getState(): JsonValue;
  /**
   * Throws if `state` cannot be restored into this part (wrong shape, another
   * monitored score...), naming `source` (the file and section) and the value.
   */
  checkState(state: unknown, source: string): void;
  /** Takes a state that passed {@link StatefulPart.checkState}. */
  setState(state: unknown, source: string): void;
  /** Model-shaped tensors it keeps, saved beside its section. Default none. */
  readonly modelWeights?: PartWeights;
}

/** Where a section sits, for messages: `checkpoint <file>: sections.<key>`. */
export type SectionSource = (key: string) => string;

/**
 * The stateful parts of one run, each under its own key; keys in `reserved`
 * belong to the caller (the trainer's own sections).
 */
export class RunState {
  readonly parts: readonly StatefulPart[];

  /** @throws If two parts share a key, or a part uses a reserved one, naming it. */
  constructor(parts: readonly (StatefulPart | undefined)[], readonly reserved: readonly string[] = []) {
    this.parts = parts.filter((p): p is StatefulPart => p !== undefined);
    const seen = new Set<string>(reserved);
    for (const p of this.parts) {
      if (typeof p.stateKey !== 'string' || p.stateKey === '') throw new Error(`run state: a stateful part has no stateKey (got ${JSON.stringify(p.stateKey)})`);
      if (seen.has(p.stateKey)) {
        throw new Error(
          `run state: two parts save their state under "${p.stateKey}"${reserved.includes(p.stateKey) ? ' (a key of the trainer itself)' : ''}; give each part its own stateKey`,
        );
      }
      seen.add(p.stateKey);
      for (const method of ['getState', 'checkState', 'setState'] as const) {
        if (typeof p[method] !== 'function') throw new Error(`run state: the part with stateKey "${p.stateKey}" has no ${method}() method`);
      }
    }
    const files = this.parts.flatMap((p) => (p.modelWeights ? [p.modelWeights.file] : []));
    const twice = files.find((f, i) => files.indexOf(f) !== i);
    if (twice !== undefined) throw new Error(`run state: two parts save their weights to "${twice}"; give each part its own file`);
  }

  /** Every part's model-shaped tensors, by file (parts that hold none are left out). */
  weights(): Record<string, readonly tf.Tensor[]> {
    const held = this.parts.map((p) => [p.modelWeights?.file, p.modelWeights?.get()] as const);
    return Object.fromEntries(held.filter((e): e is [string, readonly tf.Tensor[]] => e[0] !== undefined && !!e[1]));
  }

  /** Gives each part that keeps weights the restored tensors of its file (`null` when the file was not saved), removing them from `restored`. */
  setWeights(restored: Map<string, tf.Tensor[]>): void {
    for (const { modelWeights } of this.parts) {
      if (!modelWeights) continue;
      modelWeights.set(restored.get(modelWeights.file) ?? null);
      restored.delete(modelWeights.file);
    }
  }

  /** Every part's state, by key. */
  sections(): Record<string, JsonValue> {
    return Object.fromEntries(this.parts.map((p) => [p.stateKey, p.getState()]));
  }

  /**
   * Checks saved `sections` against the parts, assigning nothing: each part's
   * section must be there and fit it, and no section may lack its part.
   */
  check(sections: Record<string, unknown>, source: SectionSource): void {
    for (const key of Object.keys(sections)) {
      if (!this.reserved.includes(key) && !this.parts.some((p) => p.stateKey === key)) {
        throw new Error(
          `${source(key)} is in the checkpoint, but this run has no part with stateKey "${key}"; give the trainer the same part as the run that wrote it, or start a new run`,
        );
      }
    }
    for (const part of this.parts) {
      const key = part.stateKey;
      if (sections[key] === undefined) {
        throw new Error(`${source(key)} is missing, but this run has ${key}; the checkpoint was written by a run without it`);
      }
      part.checkState(sections[key], source(key));
    }
  }

  /** Gives every part its section; call after {@link RunState.check} passed. */
  set(sections: Record<string, unknown>, source: SectionSource): void {
    for (const part of this.parts) part.setState(sections[part.stateKey], source(part.stateKey));
  }
}
