/**
 * Messages between a {@link ReplicaPool} and its replicas (worker threads or
 * child processes), and the flat layout weights and gradients travel in.
 *
 * Weights and gradients never go through JSON: a thread shares one
 * `SharedArrayBuffer` of every weight with the trainer and has one of its own
 * for gradients; a process, which cannot share memory, receives and returns
 * the same flat `Float32Array`s through Node's structured-clone IPC.
 *
 * @module
 */
import type { SegBackendName } from '../../backends/packages.js';
import type { JsonValue } from '../../run-state/json.js';

/** What a replica is told once, before its first step. */
export interface ReplicaInit {
  type: 'init';
  /** Index of this replica, for its error messages. */
  index: number;
  /** `file:` URL of the ES module whose default export builds `{ model, loss, metrics? }`. */
  replica: string;
  args: JsonValue;
  /** Backends the replica tries, in order (`selectBackend`). */
  backends: SegBackendName[];
  /** Shape of every weight of the trainer's model, in `model.weights` order: the replica's model must match. */
  weightShapes: number[][];
  /** Indices into `model.weights` of the weights whose gradients the step computes (the unfrozen groups'). */
  gradIndices: number[];
  /** Indices into `model.weights` of the non-trainable weights (BatchNorm moving statistics) replica 0 hands back. */
  statIndices: number[];
  /** Metric names the trainer reports; the replica module must return each. */
  metricNames: string[];
  /** Threads only: every weight, flat in `model.weights` order, written by the trainer before each step. */
  weights?: SharedArrayBuffer;
  /** Threads only: this replica's gradients (then, replica 0 only, its statistics), flat. */
  grads?: SharedArrayBuffer;
}

/** One shard of a step. */
export interface ReplicaStep {
  type: 'step';
  images: Float32Array;
  imageShape: number[];
  labels: Int32Array;
  labelShape: number[];
  /** `SeededRng.state` of this replica's stream for the step's random draws (dropout); none when the trainer is unseeded. */
  random?: number;
  /** Processes only: every weight, flat (threads read the shared buffer). */
  weights?: Float32Array;
  /**
   * Indices into the model's batch-norm layers (`batchNormLayers`) that run in
   * inference mode this step: those the trainer froze (frozen groups,
   * `freezeBN`, `frozenSteps`). The replicas build their own models, so
   * they are told each step.
   */
  frozenBatchNorms: number[];
}

/** What the trainer may send to a replica. */
export type ToReplica = ReplicaInit | ReplicaStep;

/** What a replica may send back. */
export type FromReplica =
  | { type: 'ready' }
  | {
      type: 'done';
      loss: number;
      metrics: Record<string, number>;
      /** Tensors the replica holds after the step (`tf.memory().numTensors`), to spot leaks. */
      tensors: number;
      /** Processes only: gradients (and, replica 0, statistics), flat (threads wrote the shared buffer). */
      grads?: Float32Array;
    }
  | { type: 'error'; message: string };
