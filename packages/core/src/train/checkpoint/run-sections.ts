/**
 * The checkpoint sections (and model-shaped tensors) of a run's stateful
 * parts: the trainer's own (the data stream, `parts`), known when the
 * trainer is built, and its stateful callbacks', known only when `fit()`
 * starts. As in Lightning, a restored callback state waits for its callback:
 * `restore()` checks and assigns the trainer's parts and keeps the callbacks'
 * sections, which `fit()` checks in full against its callbacks (every
 * section has its callback, every stateful callback its section) before it
 * gives any of them its state.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from '../../run-state/json.js';
import { RunState, type SectionSource, type StatefulPart } from '../../run-state/stateful-part.js';
import { TRAINER_SECTIONS } from './checkpoint.js';

/** Restored callback state that no `fit()` has taken yet. */
interface Pending {
  sections: Record<string, unknown>;
  weights: Map<string, tf.Tensor[]>;
  source: SectionSource;
}

/** See the module comment. */
export class RunSections {
  private readonly parts: RunState;
  private callbacks: RunState | null = null;
  private pending: Pending | null = null;

  /** @throws If two parts share a key or a weights file, or one uses a trainer section. */
  constructor(parts: readonly (StatefulPart | undefined)[]) {
    this.parts = new RunState(parts, TRAINER_SECTIONS);
  }

  /** The sections and tensors to save: the parts', and the callbacks' (restored ones not yet taken by a `fit()` as they were read). */
  snapshot(): { sections: Record<string, JsonValue>; partWeights: Record<string, readonly tf.Tensor[]> } {
    const pending = this.pending;
    const sections = pending ? (pending.sections as Record<string, JsonValue>) : (this.callbacks?.sections() ?? {});
    const weights = pending ? Object.fromEntries(pending.weights) : (this.callbacks?.weights() ?? {});
    return { sections: { ...this.parts.sections(), ...sections }, partWeights: { ...this.parts.weights(), ...weights } };
  }

  /** Checks the trainer's parts' sections of a checkpoint, assigning nothing; the other sections are the callbacks'. */
  check(sections: Record<string, unknown>, source: SectionSource): void {
    this.parts.check(this.split(sections).own, source);
  }

  /**
   * Gives the parts their checked sections and tensors (taking them out of
   * `weights`), and keeps the rest for the callbacks of the next `fit()`.
   */
  restore(sections: Record<string, unknown>, weights: Map<string, tf.Tensor[]>, source: SectionSource): void {
    const { own, callbacks } = this.split(sections);
    this.parts.set(own, source);
    this.parts.setWeights(weights);
    this.dispose();
    this.callbacks = null;
    this.pending = { sections: callbacks, weights, source };
  }

  /**
   * Takes the stateful callbacks of a `fit()`; a restored run's sections are
   * checked against all of them first, then each gets its own.
   *
   * @throws Naming the section, when a section has no callback, a callback no section, or a state does not fit (no callback is changed).
   */
  bind(callbacks: readonly StatefulPart[]): void {
    const state = new RunState(callbacks, [...TRAINER_SECTIONS, ...this.parts.parts.map((p) => p.stateKey)]);
    if (this.pending) {
      const { sections, weights, source } = this.pending;
      state.check(sections, source);
      state.set(sections, source);
      state.setWeights(weights);
      this.dispose();
      this.pending = null;
    }
    this.callbacks = state;
  }

  /** Frees restored tensors no callback took. */
  dispose(): void {
    for (const tensors of this.pending?.weights.values() ?? []) tf.dispose(tensors);
    this.pending?.weights.clear();
  }

  /** The trainer's own sections (its parts' and `trainer`, `user`) and the callbacks'. */
  private split(sections: Record<string, unknown>): { own: Record<string, unknown>; callbacks: Record<string, unknown> } {
    const ownKeys = new Set<string>([...TRAINER_SECTIONS, ...this.parts.parts.map((p) => p.stateKey)]);
    const entries = Object.entries(sections);
    return {
      own: Object.fromEntries(entries.filter(([k]) => ownKeys.has(k))),
      callbacks: Object.fromEntries(entries.filter(([k]) => !ownKeys.has(k))),
    };
  }
}
