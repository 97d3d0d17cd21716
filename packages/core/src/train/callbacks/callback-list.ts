import type { StatefulPart } from '../../run-state/stateful-part.js';
import type { FitContext, TrainingCallback } from './training-callback.js';

type Hook = Exclude<keyof TrainingCallback, 'stateKey' | 'getState' | 'checkState' | 'setState' | 'modelWeights' | 'monitor'>;
type HookValue<K extends Hook> = K extends 'onTrainEnd' ? undefined : Parameters<NonNullable<TrainingCallback[K]>>[0];

/** The callbacks of one `fit()` (as Keras' `CallbackList`): calls a hook on each in order, and says which keep run state and which scores they decide by. */
export class CallbackList {
  constructor(
    readonly callbacks: readonly TrainingCallback[],
    private readonly trainer: FitContext,
  ) {}

  /** Calls `hook` on every callback that has it, in order, each awaited before the next. */
  async call<K extends Hook>(hook: K, value: HookValue<K>): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...args: unknown[]) => unknown) | undefined;
      if (!fn) continue;
      await (hook === 'onTrainEnd' ? fn.call(cb, this.trainer) : fn.call(cb, value, this.trainer));
    }
  }

  /** The callbacks that keep run state (those with a `stateKey`). */
  get stateful(): StatefulPart[] {
    return this.callbacks.filter((cb): cb is TrainingCallback & StatefulPart => cb.stateKey !== undefined);
  }

  /** The scores the callbacks decide by. */
  get monitors(): string[] {
    return this.callbacks.flatMap((cb) => (cb.monitor === undefined ? [] : [cb.monitor]));
  }
}
