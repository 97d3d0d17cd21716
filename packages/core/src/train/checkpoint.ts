/**
 * Training checkpoints: a directory holding the model's weights, every
 * optimizer's state (`.safetensors`) and a `state.json` (step, best score,
 * early-stopping and user state such as the data position and RNG), written
 * to a temporary directory first and renamed into place so a crash never
 * leaves a half-written checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { REPLACED_DIRECTORY_INFIX, writeDirectoryAtomic } from '../io/atomic-files.js';
import { loadNodeFs } from '../io/node-modules.js';
import { readFileBytes } from '../io/node-files.js';
import { encodeSafetensors, parseSafetensors, type SafetensorsInput, safetensorsToFloat32 } from '../io/safetensors.js';

/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = {
  weights: 'weights.safetensors',
  optimizers: 'optimizers.safetensors',
  state: 'state.json',
  bestWeights: 'best-weights.safetensors',
} as const;

/** Bumped when the layout changes incompatibly. */
export const CHECKPOINT_FORMAT = 1;

/** JSON-serialisable values a checkpoint stores for its owner. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The `state.json` of a checkpoint. */
export interface CheckpointState {
  format: number;
  step: number;
  /** Names and order of the optimizer groups saved in `optimizers.safetensors`. */
  groups: { name: string; weights: string[] }[];
  /** Anything the trainer or its user wants back on resume. */
  extra: { [key: string]: JsonValue };
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
 * Returns the checkpoint directory to read: `dir` itself, or, if a crash hit
 * between the two renames of `writeDirectoryAtomic`, the complete
 * previous checkpoint left beside it. `null` when there is none.
 */
export async function findCheckpoint(dir: string): Promise<string | null> {
  const { fs, path } = await node();
  const target = path.resolve(dir);
  try {
    await fs.access(path.join(target, CHECKPOINT_FILES.state));
    return target;
  } catch {
    const parent = path.dirname(target);
    const base = path.basename(target);
    let names: string[] = [];
    try {
      names = await fs.readdir(parent);
    } catch {
      return null;
    }
    const olds = names.filter((n) => n.startsWith(`${base}${REPLACED_DIRECTORY_INFIX}`)).sort();
    return olds.length ? path.join(parent, olds[olds.length - 1]) : null;
  }
}

/**
 * Saves model weights, optimizer states, `state` (its `groups` are filled
 * here) and, if given, the best weights so far (model weight order) to `dir`
 * atomically.
 */
export async function saveCheckpoint(
  dir: string,
  model: LayersModel,
  optimizers: readonly { name: string; optimizer: tf.Optimizer }[],
  state: Omit<CheckpointState, 'groups' | 'format'>,
  bestWeights?: readonly tf.Tensor[] | null,
): Promise<void> {
  const tensors: Record<string, SafetensorsInput> = {};
  const groups: CheckpointState['groups'] = [];
  for (const { name, optimizer } of optimizers) {
    const named = await optimizer.getWeights();
    const names: string[] = [];
    for (const [i, nt] of named.entries()) {
      const key = `${name}/${String(i).padStart(5, '0')}`;
      names.push(nt.name);
      tensors[key] = { dtype: 'F32', shape: nt.tensor.shape, data: Float32Array.from(await nt.tensor.data()) };
      // getWeights() hands out the optimizer's own variables plus a fresh iteration-count tensor.
      if (!(nt.tensor instanceof tf.Variable)) nt.tensor.dispose();
    }
    groups.push({ name, weights: names });
  }
  const full: CheckpointState = { format: CHECKPOINT_FORMAT, step: state.step, groups, extra: state.extra };
  const files: Record<string, Uint8Array | string> = {
    [CHECKPOINT_FILES.weights]: await encodeModelWeights(model),
    [CHECKPOINT_FILES.optimizers]: encodeSafetensors(tensors),
    [CHECKPOINT_FILES.state]: `${JSON.stringify(full, null, 2)}\n`,
  };
  if (bestWeights) files[CHECKPOINT_FILES.bestWeights] = await encodeModelWeights(model, bestWeights);
  await writeDirectoryAtomic(dir, files);
}

/**
 * Restores a checkpoint written by {@link saveCheckpoint} into `model` and the
 * optimizers (same group names, same order).
 *
 * @returns The saved state and the saved best weights (tensors the caller
 *   owns, or `null`), or `null` if `dir` holds no checkpoint.
 * @throws If a file is corrupt or the model or groups do not match, naming the
 *   file; nothing is assigned then.
 */
export async function loadCheckpoint(
  dir: string,
  model: LayersModel,
  optimizers: readonly { name: string; optimizer: tf.Optimizer }[],
): Promise<{ state: CheckpointState; bestWeights: tf.Tensor[] | null } | null> {
  const found = await findCheckpoint(dir);
  if (found === null) return null;
  const { fs, path } = await node();
  const statePath = path.join(found, CHECKPOINT_FILES.state);
  let state: CheckpointState;
  try {
    state = JSON.parse(await fs.readFile(statePath, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint ${statePath}: not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== CHECKPOINT_FORMAT) {
    throw new Error(`checkpoint ${statePath}: format ${state.format}, this version reads format ${CHECKPOINT_FORMAT}`);
  }
  const savedGroups = state.groups.map((g) => g.name).join(', ');
  const ourGroups = optimizers.map((g) => g.name).join(', ');
  if (savedGroups !== ourGroups) {
    throw new Error(`checkpoint ${statePath}: optimizer groups [${savedGroups}], the trainer has [${ourGroups}]`);
  }
  const weightsPath = path.join(found, CHECKPOINT_FILES.weights);
  const optPath = path.join(found, CHECKPOINT_FILES.optimizers);
  const readFile = (p: string) => readFileBytes(p, 'checkpoint file');
  const optFile = parseSafetensors(await readFile(optPath), optPath);
  const weights = decodeModelWeights(model, await readFile(weightsPath), weightsPath);
  const bestPath = path.join(found, CHECKPOINT_FILES.bestWeights);
  const hasBest = await fs.access(bestPath).then(
    () => true,
    () => false,
  );
  const best = hasBest ? decodeModelWeights(model, await readFile(bestPath), bestPath) : null;
  const optimizerStates = optimizers.map(({ name }, gi) =>
    state.groups[gi].weights.map((weightName, i) => {
      const key = `${name}/${String(i).padStart(5, '0')}`;
      const t = optFile.tensors.get(key);
      if (!t) throw new Error(`checkpoint ${optPath}: optimizer tensor "${key}" (${weightName}) is missing`);
      return { name: weightName, values: safetensorsToFloat32(t), shape: t.shape };
    }),
  );
  // Everything is read and checked; only now is anything assigned.
  assignWeights(model, weights);
  for (const [gi, { optimizer }] of optimizers.entries()) {
    const named = optimizerStates[gi].map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
    await optimizer.setWeights(named);
    // setWeights keeps its own references to the data.
    for (const w of named) w.tensor.dispose();
  }
  const bestWeights = best ? best.map((v, i) => tf.tensor(v, model.weights[i].shape as number[])) : null;
  return { state, bestWeights };
}
