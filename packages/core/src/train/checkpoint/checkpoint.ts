/**
 * Training checkpoints: a directory holding the model's weights, every
 * optimizer's state and the model-shaped tensors stateful parts keep (early
 * stopping's best weights), each a `.safetensors` file, and a
 * `state.json` with the run's configuration and one section per stateful
 * part of the run (`trainer`: step and optimizer layout; `user`; one per
 * part under its own key). Written and recovered through
 * `io/atomic-files.ts`, so a crash never leaves a half-written checkpoint;
 * read as strictly as a model folder (no link leads out of it, no missing
 * file reads as "no checkpoint"), and checked in full against the model
 * before anything is assigned.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { findAtomicDirectory, writeDirectoryAtomic } from '../../io/atomic-files.js';
import { readFileInside } from '../../io/node-files.js';
import { loadNodeFs } from '../../io/runtime-import.js';
import { encodeSafetensors, parseSafetensors, type SafetensorsInput, safetensorsToFloat32 } from '../../io/safetensors.js';
import { expectInteger, expectObject, type JsonObject, type JsonValue } from '../../run-state/json.js';
import { keepsAdamBetaPowers, replayAdamBetaPowers } from '../optimizers/adam.js';
import { CHECKPOINT_FORMAT, decodeModelWeights, encodeModelWeights, writeWeightValues } from './model-weights.js';
import { type CheckpointGroup, checkOptimizerShapes } from '../optimizers/optimizer-slots.js';

export type { CheckpointGroup } from '../optimizers/optimizer-slots.js';

/** File names inside a checkpoint directory (`bestWeights`: early stopping's, see `PartWeights`). */
export const CHECKPOINT_FILES = {
  weights: 'weights.safetensors',
  optimizers: 'optimizers.safetensors',
  state: 'state.json',
  bestWeights: 'best-weights.safetensors',
} as const;

/** Sections of `state.json` that belong to the trainer itself, not to a stateful part. */
export const TRAINER_SECTIONS = ['trainer', 'user'] as const;

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
  /** `trainer` (always), `user` (when given) and one section per stateful part, under its key. */
  sections: { trainer: TrainerSection } & Record<string, JsonValue>;
}

/** What a checkpoint holds besides weights and optimizers. */
export interface CheckpointContents {
  step: number;
  config?: JsonObject | null;
  /** The stateful parts' sections and `user`, by key (not `trainer`). */
  sections?: Record<string, JsonValue>;
  /** Model-shaped tensors of the stateful parts (early stopping's best weights), in the model's weight order, by file name. */
  partWeights?: Record<string, readonly tf.Tensor[]>;
}

/**
 * Returns the checkpoint copy to read for `dir`: the newest complete one
 * among `dir` and what a crash left beside it (see `findAtomicDirectory`).
 *
 * @returns `null` when there is no copy, or only an empty folder.
 * @throws When a copy holds files but no readable `state.json` (deleted, a
 *   FIFO, a link out of the folder): that is a damaged checkpoint, not none,
 *   and starting afresh there would replace another run's weights.
 */
export async function findCheckpoint(dir: string): Promise<string | null> {
  const { fs, path } = await loadNodeFs('checkpoint');
  const found = await findAtomicDirectory(dir);
  if (found === null) return null;
  const files = await fs.readdir(found);
  if (files.length === 0) return null;
  const stateFile = path.join(found, CHECKPOINT_FILES.state);
  const stat = await fs.lstat(stateFile).catch(() => null);
  if (stat === null || !stat.isFile()) {
    const what = stat === null ? 'no state.json' : `a state.json that is not a regular file (${stat.isSymbolicLink() ? 'a link' : 'a FIFO, socket, device or folder'})`;
    throw new Error(
      `checkpoint ${found} holds ${files.filter((f) => f !== CHECKPOINT_FILES.state).join(', ') || 'files'} but ${what}, so it cannot be resumed; ` +
        'restore the file, or delete the folder (or choose another one) to start a new run',
    );
  }
  return found;
}

/** Throws if `dir` holds a checkpoint (complete or not): `fit()` may replace only one its trainer restored or wrote. */
export async function refuseOtherRun(dir: string): Promise<void> {
  const found = await findAtomicDirectory(dir);
  if (found === null) return;
  throw new Error(
    `Trainer.fit: ${dir} holds the checkpoint of another run (${found}); call restore('${dir}') first to continue it, ` +
      'or delete it (or choose another checkpointDir) to start a new run',
  );
}

/**
 * Saves model weights, optimizer states, the step, the run's configuration,
 * the parts' sections and, if given, their model-shaped tensors to `dir`
 * atomically.
 */
export async function saveCheckpoint(dir: string, model: LayersModel, optimizers: readonly CheckpointGroup[], contents: CheckpointContents): Promise<void> {
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
  const state: CheckpointState = {
    format: CHECKPOINT_FORMAT,
    config: contents.config ?? null,
    sections: { ...(contents.sections ?? {}), trainer: { step: contents.step, groups } },
  };
  const files: Record<string, Uint8Array | string> = {
    [CHECKPOINT_FILES.weights]: await encodeModelWeights(model),
    [CHECKPOINT_FILES.optimizers]: encodeSafetensors(tensors),
    [CHECKPOINT_FILES.state]: `${JSON.stringify(state, null, 2)}\n`,
  };
  for (const [name, tensors] of Object.entries(contents.partWeights ?? {})) {
    if (!isPartWeightsFile(name)) {
      throw new Error(`checkpoint ${dir}: a part's weights file must be a plain <name>.safetensors other than ${CHECKPOINT_FILES.weights} and ${CHECKPOINT_FILES.optimizers}, got "${name}"`);
    }
    files[name] = await encodeModelWeights(model, tensors);
  }
  await writeDirectoryAtomic(dir, files);
}

/** Whether `name` can hold a part's model-shaped tensors: any `.safetensors` file but the model's and the optimizers'. */
function isPartWeightsFile(name: string): boolean {
  return /^[\w.-]+\.safetensors$/.test(name) && name !== CHECKPOINT_FILES.weights && name !== CHECKPOINT_FILES.optimizers;
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

/** A checkpoint read and checked against a model and its groups, not yet assigned: see {@link readCheckpoint}. */
export interface ReadCheckpoint {
  /** The copy that was read (`dir`, or a complete copy a crash left beside it). */
  dir: string;
  /** Its `state.json`. */
  stateFile: string;
  state: CheckpointState;
  /**
   * Writes the weights and optimizer states into the model and optimizers.
   * @returns The parts' saved model-shaped tensors by file name (tensors the caller owns).
   */
  assign(): Promise<Map<string, tf.Tensor[]>>;
}

/**
 * Reads the checkpoint for `dir` (recovering after a crash) and checks all of
 * it — state structure, group names, every weight's and optimizer slot's
 * shape — against `model` and `optimizers`, assigning nothing.
 *
 * @returns `null` if there is no checkpoint (see {@link findCheckpoint}).
 * @throws Naming the file and the key, if anything is missing, corrupt, a
 *   link out of the folder, or does not fit.
 */
export async function readCheckpoint(dir: string, model: LayersModel, optimizers: readonly CheckpointGroup[]): Promise<ReadCheckpoint | null> {
  const found = await findCheckpoint(dir);
  if (found === null) return null;
  const { fs, path } = await loadNodeFs('checkpoint');
  const file = (name: string) => path.join(found, name);
  const read = (name: string) => readFileInside(found, file(name), 'checkpoint file');
  const stateFile = file(CHECKPOINT_FILES.state);
  const state = parseState(new TextDecoder().decode(await read(CHECKPOINT_FILES.state)), stateFile);
  const savedGroups = state.sections.trainer.groups;
  const savedNames = savedGroups.map((g) => g.name).join(', ');
  const ourNames = optimizers.map((g) => g.name).join(', ');
  if (savedNames !== ourNames) {
    throw new Error(`checkpoint ${stateFile}: sections.trainer.groups has optimizer groups [${savedNames}], the trainer has [${ourNames}]`);
  }
  const optPath = file(CHECKPOINT_FILES.optimizers);
  const optFile = parseSafetensors(await read(CHECKPOINT_FILES.optimizers), optPath);
  const weights = decodeModelWeights(model, await read(CHECKPOINT_FILES.weights), file(CHECKPOINT_FILES.weights));
  const partWeights = new Map<string, Float32Array[]>();
  for (const name of (await fs.readdir(found)).filter(isPartWeightsFile).sort()) {
    partWeights.set(name, decodeModelWeights(model, await read(name), file(name)));
  }
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
      writeWeightValues(model.weights, weights);
      for (const [gi, { optimizer }] of optimizers.entries()) {
        const named = optimizerStates[gi].map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
        const replaced = await optimizer.getWeights();
        await optimizer.setWeights(named);
        // tfjs's Adam recomputes its bias corrections otherwise than the run did: bit-exact resume needs the run's.
        if (keepsAdamBetaPowers(optimizer)) replayAdamBetaPowers(optimizer);
        // setWeights copies the data into new slot variables; the given tensors, and the slot
        // variables it replaced (tfjs does not dispose them), are no longer used.
        for (const w of [...named, ...replaced]) w.tensor.dispose();
      }
      return new Map([...partWeights].map(([name, values]) => [name, values.map((v, i) => tf.tensor(v, model.weights[i].shape as number[]))]));
    },
  };
}
