/**
 * The public contract of data-parallel training: the `workers` option of a
 * trainer, and what the replica module a user writes must export.
 *
 * @module
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { SegBackendName } from '../../backends/packages.js';
import type { SegmentationLoss, SegmentationMetrics } from '../../losses/segmentation-loss.js';
import type { JsonValue } from '../../run-state/json.js';

/** Data-parallel replicas of a {@link Trainer} (its `workers` option). */
export interface TrainerWorkers {
  /** How many replicas; a batch smaller than this uses one per image. Required. */
  count: number;
  /**
   * URL or path of an ES module whose default export is a
   * {@link ReplicaModule}: it builds the trainer's model and loss again in
   * each replica. It must import the same tfjs and `@seg/*` packages as the
   * trainer (published names, not sources). Required.
   */
  replica: string | URL;
  /** JSON handed to the replica module's default export. Default `null`. */
  args?: JsonValue;
  /**
   * `'cpu'`: replicas compute on CPU backends. `'gpu'`: replica `i` runs in a
   * child process on GPU `i` (see `replicaDeviceEnvironment`). Default `'cpu'`.
   */
  devices?: 'cpu' | 'gpu';
  /**
   * Backends each replica tries, in order. Default: for `'cpu'`, the
   * trainer's backend when it is `wasm` or `cpu`, else `wasm`; for `'gpu'`,
   * `tensorflow-gpu` then `webgpu`.
   */
  backends?: SegBackendName[];
  /**
   * `'thread'` (worker threads sharing memory) or `'process'` (child
   * processes). Default: `'thread'` for `'cpu'`, `'process'` for `'gpu'`.
   */
  transport?: 'thread' | 'process';
  /**
   * How long a replica may take to answer (to start, or to compute a step)
   * before it is ended and the step rejects naming it. Default: derived from
   * the measured step times — ten times the slowest step so far, never less
   * than a minute — and ten minutes for starting and the first step, which
   * build the model and compile kernels.
   */
  stepTimeoutMs?: number;
}

/** What a replica module's default export returns: the trainer's model, loss and metrics, built again. */
export interface ReplicaParts {
  /** The same architecture as the trainer's model (weights are overwritten before every step). */
  model: LayersModel;
  /** The trainer's loss. */
  loss: SegmentationLoss;
  /** The trainer's metrics, under the same names; required when the trainer has metrics. */
  metrics?: SegmentationMetrics;
}

/**
 * The default export of a replica module: called once in each replica with
 * `TrainerWorkers.args` and the replica's index; may be async.
 *
 * @example
 * ```ts no-run
 * // my-replica.mjs
 * export default function build(args, { index }) {
 *   return { model: deeplabV3Plus(args.model), loss, metrics: { pixelAccuracy } };
 * }
 * ```
 */
export type ReplicaModule = (args: JsonValue, replica: { index: number }) => ReplicaParts | Promise<ReplicaParts>;
