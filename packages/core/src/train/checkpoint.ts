/**
 * Training checkpoints: a directory holding the model's weights, every
 * optimizer's state and the best weights so far (`.safetensors`), and a
 * `state.json` with the run's configuration fingerprint and one section per
 * stateful part of the run (`trainer`: step and optimizer layout;
 * `earlyStopping`, `bestModel`, `data`, `user`). Written and recovered
 * through `io/atomic-files.ts`, so a crash never leaves a half-written
 * checkpoint, and checked in full against the model before anything is
 * assigned.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { findAtomicDirectory, writeDirectoryAtomic } from '../io/atomic-files.js';
import { loadNodeFs } from '../io/node-modules.js';
import { readFileBytes } from '../io/node-files.js';
import { encodeSafetensors, parseSafetensors, type SafetensorsInput, safetensorsToFloat32 } from '../io/safetensors.js';
import { CHECKPOINT_SECTIONS, type CheckpointSection, expectInteger, expectObject, type JsonObject, type JsonValue } from './state.js';

export type { JsonValue } from './state.js';

/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = {
  weights: 'weights.safetensors',
  optimizers: 'optimizers.safetensors',
  state: 'state.json',
  bestWeights: 'best-weights.safetensors',
} as const;

/** Bumped when the layout changes incompatibly (2: state in sections, configuration fingerprint). */
export const CHECKPOINT_FORMAT = 2;

/** The `trainer` section: the step and the layout of `optimizers.safetensors`. */
export type TrainerSection = {
  step: number;
  /** Names and order of the optimizer groups and their weights' names. */
  groups: { name: string; weights: string[] }[];
};

/** The `state.json` of a checkpoint. */
export interface CheckpointState {
  format: number;
  /** The run's configuration when the checkpoint was written, compared on resume; `null` if none was given. */
  config: JsonObject | null;
  /** One section per stateful part; `trainer` always. */
  sections: { trainer: TrainerSection } & Partial<Record<Exclude<CheckpointSection, 'trainer'>, JsonValue>>;
}

/** An optimizer and the variables it updates, in order (a parameter group). */
export interface CheckpointGroup {
  name: string;
  optimizer: tf.Optimizer;
  /** The group's variables, in the order the optimizer's slots follow. */
  variables?: readonly tf.Variable[];
}

const node = () => loadNodeFs('checkpoint');

/**
 * Model weights are keyed by position and `originalName` (the name without
 * tfjs's `_1`, `_2` de-duplication suffix), so a model rebuilt in another
 * process, where the suffixes differ, still matches.
 */
function weightKey(index: number, originalName: string): string {
  return `${String(index).padStart(4, '0')}:${originalName}`;
}

/**
 * Serialises the model's weights (trainable and not: BatchNorm statistics
 * count), or `values` given in the model's weight order.
 */
export async function encodeModelWeights(model: LayersModel, values?: readonly tf.Tensor[]): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsInput> = {};
  // Read asynchronously: GPU backends (webgpu in Node) cannot read synchronously.
  for (const [i, w] of model.weights.entries()) {
    const v = values ? values[i] : w.read();
    tensors[weightKey(i, w.originalName)] = { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array };
  }
  return encodeSafetensors(tensors, { format: String(CHECKPOINT_FORMAT) });
}

/**
 * Reads weights saved by {@link encodeModelWeights}, checking count, names
 * and shapes against the model, and returns them in the model's weight order.
 */
export function decodeModelWeights(model: LayersModel, bytes: Uint8Array, source: string): Float32Array[] {
  const file = parseSafetensors(bytes, source);
  const saved = [...file.tensors.values()];
  if (saved.length !== model.weights.length) {
    throw new Error(`checkpoint ${source}: holds ${saved.length} weights, the model has ${model.weights.length}`);
  }
  const values = model.weights.map((w, i) => {
    const key = weightKey(i, w.originalName);
    const t = saved[i];
    if (t.name !== key) throw new Error(`checkpoint ${source}: weight ${i} is "${t.name}", the model expects "${key}"`);
    if (t.shape.join(',') !== w.shape.join(',')) {
      throw new Error(`checkpoint ${source}: weight "${key}" has shape [${t.shape}], the model expects [${w.shape}]`);
    }
    return safetensorsToFloat32(t);
  });
  return values;
}

function assignWeights(model: LayersModel, values: readonly Float32Array[]): void {
  model.weights.forEach((w, i) => {
    const t = tf.tensor(values[i], w.shape as number[]);
    w.write(t);
    t.dispose();
  });
}

/**
 * Returns the checkpoint copy to read for `dir`: the newest complete one
 * among `dir` and what a crash left beside it (see `findAtomicDirectory`),
 * provided it holds a `state.json`. `null` when there is none.
 */
export async function findCheckpoint(dir: string): Promise<string | null> {
  const { fs, path } = await node();
  const found = await findAtomicDirectory(dir);
  if (found === null) return null;
  const hasState = await fs.stat(path.join(found, CHECKPOINT_FILES.state)).then(
    (s) => s.isFile(),
    () => false,
  );
  return hasState ? found : null;
}

/**
 * Saves model weights, optimizer states, the step, the run's `config` and the
 * other parts' `sections`, and, if given, the best weights so far (model
 * weight order) to `dir` atomically.
 */
export async function saveCheckpoint(
  dir: string,
  model: LayersModel,
  optimizers: readonly CheckpointGroup[],
  state: { step: number; config?: JsonObject | null; sections?: Partial<Record<Exclude<CheckpointSection, 'trainer'>, JsonValue>> },
  bestWeights?: readonly tf.Tensor[] | null,
): Promise<void> {
  const tensors: Record<string, SafetensorsInput> = {};
  const groups: TrainerSection['groups'] = [];
  for (const { name, optimizer } of optimizers) {
    const named = await optimizer.getWeights();
    const names: string[] = [];
    for (const [i, nt] of named.entries()) {
      names.push(nt.name);
      tensors[optimizerKey(name, i)] = { dtype: 'F32', shape: nt.tensor.shape, data: Float32Array.from(await nt.tensor.data()) };
      // getWeights() hands out the optimizer's own variables plus a fresh iteration-count tensor.
      if (!(nt.tensor instanceof tf.Variable)) nt.tensor.dispose();
    }
    groups.push({ name, weights: names });
  }
  const full: CheckpointState = {
    format: CHECKPOINT_FORMAT,
    config: state.config ?? null,
    sections: { trainer: { step: state.step, groups }, ...(state.sections ?? {}) },
  };
  const files: Record<string, Uint8Array | string> = {
    [CHECKPOINT_FILES.weights]: await encodeModelWeights(model),
    [CHECKPOINT_FILES.optimizers]: encodeSafetensors(tensors),
    [CHECKPOINT_FILES.state]: `${JSON.stringify(full, null, 2)}\n`,
  };
  if (bestWeights) files[CHECKPOINT_FILES.bestWeights] = await encodeModelWeights(model, bestWeights);
  await writeDirectoryAtomic(dir, files);
}

function optimizerKey(group: string, index: number): string {
  return `${group}/${String(index).padStart(5, '0')}`;
}

/** Parses and checks `state.json`'s structure, naming the file and the key at fault. */
function parseState(text: string, file: string): CheckpointState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`checkpoint ${file}: not valid JSON (${(e as Error).message})`);
  }
  const state = expectObject(json, `checkpoint ${file}`, 'the checkpoint state');
  if (state.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `checkpoint ${file}: format ${JSON.stringify(state.format)}, this version reads format ${CHECKPOINT_FORMAT}; ` +
        'resume it with the version that wrote it, or start a new run',
    );
  }
  if (state.config !== null) expectObject(state.config, `checkpoint ${file}: config`, 'the run configuration or null');
  const sections = expectObject(state.sections, `checkpoint ${file}: sections`, 'the state sections');
  for (const key of Object.keys(sections)) {
    if (!(CHECKPOINT_SECTIONS as readonly string[]).includes(key)) {
      throw new Error(`checkpoint ${file}: unknown section sections.${key}; known: ${CHECKPOINT_SECTIONS.join(', ')}`);
    }
  }
  const trainer = expectObject(sections.trainer, `checkpoint ${file}: sections.trainer`, 'the trainer state');
  expectInteger(trainer.step, `checkpoint ${file}: sections.trainer.step`);
  const at = `checkpoint ${file}: sections.trainer.groups`;
  if (!Array.isArray(trainer.groups)) throw new Error(`${at}: expected the optimizer groups as an array, got ${JSON.stringify(trainer.groups) ?? 'nothing'}`);
  trainer.groups.forEach((g, i) => {
    const group = expectObject(g, `${at}[${i}]`, 'an optimizer group');
    if (typeof group.name !== 'string') throw new Error(`${at}[${i}].name: expected the group name, got ${JSON.stringify(group.name)}`);
    if (!Array.isArray(group.weights) || !group.weights.every((w) => typeof w === 'string')) {
      throw new Error(`${at}[${i}].weights: expected the optimizer weight names, got ${JSON.stringify(group.weights) ?? 'nothing'}`);
    }
  });
  return json as CheckpointState;
}

/**
 * Checks one group's saved optimizer tensors against its variables: tfjs
 * optimizers save the iteration count (a scalar) and then one slot per
 * variable for each kind of accumulator (Adam: first moments, then second
 * moments), each of its variable's shape, and match them by position.
 */
function checkOptimizerShapes(file: string, group: CheckpointGroup, saved: { key: string; name: string; shape: number[] }[]): void {
  const vars = group.variables;
  if (!vars || saved.length === 0) return;
  const [iterations, ...slots] = saved;
  if (iterations.shape.length !== 0) {
    throw new Error(`checkpoint ${file}: optimizer tensor "${iterations.key}" (${iterations.name}) should be the iteration count, a scalar; it has shape [${iterations.shape}]`);
  }
  if (vars.length === 0 ? slots.length > 0 : slots.length % vars.length !== 0) {
    throw new Error(
      `checkpoint ${file}: group "${group.name}" has ${slots.length} optimizer slots, not a multiple of its ${vars.length} weights; the checkpoint belongs to another model or grouping`,
    );
  }
  slots.forEach((t, i) => {
    const v = vars[i % vars.length];
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new Error(
        `checkpoint ${file}: optimizer tensor "${t.key}" (${t.name}) has shape [${t.shape}], but group "${group.name}" weight ${i % vars.length} (${v.name}) has shape [${v.shape}]`,
      );
    }
  });
}

/** A checkpoint read and checked against a model and its groups, not yet assigned: see {@link readCheckpoint}. */
export interface ReadCheckpoint {
  /** The copy that was read (`dir`, or a complete copy a crash left beside it). */
  dir: string;
  /** Its `state.json`. */
  stateFile: string;
  state: CheckpointState;
  /**
   * Writes the weights and optimizer states into the model and optimizers.
   * @returns The saved best weights (tensors the caller owns), or `null`.
   */
  assign(): Promise<tf.Tensor[] | null>;
}

/**
 * Reads the checkpoint for `dir` (recovering after a crash) and checks all of
 * it — state structure, group names, every weight's and optimizer slot's
 * shape — against `model` and `optimizers`, assigning nothing.
 *
 * @returns `null` if there is no checkpoint.
 * @throws Naming the file and the key, if anything is corrupt or does not fit.
 */
export async function readCheckpoint(dir: string, model: LayersModel, optimizers: readonly CheckpointGroup[]): Promise<ReadCheckpoint | null> {
  const found = await findCheckpoint(dir);
  if (found === null) return null;
  const { path } = await node();
  const readFile = (p: string) => readFileBytes(p, 'checkpoint file');
  const stateFile = path.join(found, CHECKPOINT_FILES.state);
  const state = parseState(new TextDecoder().decode(await readFile(stateFile)), stateFile);
  const savedGroups = state.sections.trainer.groups;
  const savedNames = savedGroups.map((g) => g.name).join(', ');
  const ourNames = optimizers.map((g) => g.name).join(', ');
  if (savedNames !== ourNames) {
    throw new Error(`checkpoint ${stateFile}: sections.trainer.groups has optimizer groups [${savedNames}], the trainer has [${ourNames}]`);
  }
  const weightsPath = path.join(found, CHECKPOINT_FILES.weights);
  const optPath = path.join(found, CHECKPOINT_FILES.optimizers);
  const optFile = parseSafetensors(await readFile(optPath), optPath);
  const weights = decodeModelWeights(model, await readFile(weightsPath), weightsPath);
  const bestPath = path.join(found, CHECKPOINT_FILES.bestWeights);
  const { fs } = await node();
  const hasBest = await fs.stat(bestPath).then(
    () => true,
    () => false,
  );
  const best = hasBest ? decodeModelWeights(model, await readFile(bestPath), bestPath) : null;
  const optimizerStates = optimizers.map((group, gi) => {
    const saved = savedGroups[gi].weights.map((weightName, i) => {
      const key = optimizerKey(group.name, i);
      const t = optFile.tensors.get(key);
      if (!t) throw new Error(`checkpoint ${optPath}: optimizer tensor "${key}" (${weightName}) is missing`);
      return { key, name: weightName, shape: t.shape, tensor: t };
    });
    checkOptimizerShapes(optPath, group, saved);
    return saved.map((w) => ({ name: w.name, values: safetensorsToFloat32(w.tensor), shape: w.shape }));
  });
  return {
    dir: found,
    stateFile,
    state,
    async assign() {
      assignWeights(model, weights);
      for (const [gi, { optimizer }] of optimizers.entries()) {
        const named = optimizerStates[gi].map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
        const replaced = await optimizer.getWeights();
        await optimizer.setWeights(named);
        // setWeights copies the data into new slot variables; the given tensors, and the slot
        // variables it replaced (tfjs does not dispose them), are no longer used.
        for (const w of [...named, ...replaced]) w.tensor.dispose();
      }
      return best ? best.map((v, i) => tf.tensor(v, model.weights[i].shape as number[])) : null;
    },
  };
}

/**
 * Restores a checkpoint written by {@link saveCheckpoint} into `model` and the
 * optimizers (same group names, same order): {@link readCheckpoint}, then
 * assign.
 *
 * @returns The saved state and best weights (tensors the caller owns, or
 *   `null`), or `null` if `dir` holds no checkpoint.
 * @throws If a file is corrupt or the model or groups do not match, naming the
 *   file and key; nothing is assigned then.
 */
export async function loadCheckpoint(
  dir: string,
  model: LayersModel,
  optimizers: readonly CheckpointGroup[],
): Promise<{ state: CheckpointState; bestWeights: tf.Tensor[] | null } | null> {
  const read = await readCheckpoint(dir, model, optimizers);
  if (read === null) return null;
  return { state: read.state, bestWeights: await read.assign() };
}
