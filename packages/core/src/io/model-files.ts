/**
 * Saves and loads tfjs models as a directory of files in Node without
 * tfjs-node: the standard `model.json` plus binary weight shards, the layout
 * `tf.loadLayersModel(url)` reads in the browser and the tfjs converter writes.
 *
 * `node:fs` is imported dynamically so browser bundles of the library never
 * pull it in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { COMPLETE_MARKER, findAtomicDirectory, writeDirectoryAtomic } from './atomic-files.js';
import { readFileBytes, readFileInside } from './node-files.js';
import { loadNodeFs, type NodeFs as Fs, type NodePath as PathModule } from './runtime-import.js';

/** The URL scheme routed to {@link fileIO} by {@link registerFileRouter}. */
export const FILE_SCHEME = 'file://';

/** The name of the topology + manifest file in a model directory. */
export const MODEL_JSON = 'model.json';

/** Options of {@link fileIO} and {@link saveModel}. */
export interface FileIOOptions {
  /**
   * Largest weight shard in bytes; larger weight data is split into
   * `group1-shardKofN.bin` files. Default: no limit, one `group1-shard1of1.bin`.
   */
  maxShardBytes?: number;
}

const nodeModules = () => loadNodeFs('model files');

function stripScheme(dir: string): string {
  if (!dir.startsWith(FILE_SCHEME)) return dir;
  // `new URL` decodes %20 and friends the way a file:// URL means them.
  return decodeURIComponent(new URL(dir).pathname);
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The bytes a manifest entry occupies, or `undefined` when it cannot be known (strings). */
function entryBytes(entry: tf.io.WeightsManifestEntry): number | undefined {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const dtype = entry.quantization?.dtype ?? entry.dtype;
  const size = BYTES_PER_ELEMENT[dtype];
  return size === undefined ? undefined : count * size;
}

/**
 * Checks that a weight path of a manifest names a file inside the model
 * directory: a hostile model.json must not make the loader read `../../etc`.
 */
function resolveWeightPath(path: PathModule, dir: string, weightPath: unknown, jsonFile: string): string {
  if (typeof weightPath !== 'string' || weightPath.length === 0) {
    throw new Error(`${jsonFile}: weightsManifest path ${JSON.stringify(weightPath)} must be a non-empty relative file name`);
  }
  if (
    path.isAbsolute(weightPath) ||
    path.win32.isAbsolute(weightPath) ||
    /^[a-z][a-z0-9+.-]*:/i.test(weightPath) ||
    weightPath.split(/[\\/]/).includes('..')
  ) {
    throw new Error(
      `${jsonFile}: weight path "${weightPath}" points outside the model directory; paths must be relative names inside ${dir} without "..", absolute paths or URLs`,
    );
  }
  const full = path.resolve(dir, weightPath);
  const rel = path.relative(path.resolve(dir), full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${jsonFile}: weight path "${weightPath}" resolves to ${full}, outside the model directory ${dir}`);
  }
  return full;
}

async function readModelJSON(jsonFile: string): Promise<tf.io.ModelJSON> {
  // A FIFO or device named as the model would block or never end the read: readFileBytes refuses it.
  const text = new TextDecoder().decode(await readFileBytes(jsonFile, 'model file'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${jsonFile} is not valid JSON (${(e as Error).message}); expected a tfjs model.json`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${jsonFile} must hold a JSON object with modelTopology and weightsManifest`);
  }
  const { modelTopology, weightsManifest } = json as Partial<tf.io.ModelJSON>;
  if (modelTopology === null || typeof modelTopology !== 'object') {
    throw new Error(`${jsonFile} has no modelTopology object; is it a tfjs model.json?`);
  }
  if (weightsManifest === undefined) {
    // tfjs would build the model with freshly initialised weights and say nothing.
    throw new Error(`${jsonFile} has no weightsManifest, so it holds no weights; loading it would give a model with random weights`);
  }
  if (
    !Array.isArray(weightsManifest) ||
    !weightsManifest.every((g) => g !== null && typeof g === 'object' && Array.isArray(g.paths) && Array.isArray(g.weights))
  ) {
    throw new Error(`${jsonFile}: weightsManifest must be an array of { paths: string[], weights: [...] } groups`);
  }
  return json as tf.io.ModelJSON;
}

async function readGroup(
  path: PathModule,
  dir: string,
  jsonFile: string,
  group: tf.io.WeightsManifestConfig[number],
): Promise<ArrayBuffer[]> {
  const files = group.paths.map((p) => resolveWeightPath(path, dir, p, jsonFile));
  const buffers: ArrayBuffer[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      // A symbolic link inside the directory must not lead the loader outside it either.
      bytes = await readFileInside(dir, file, 'weight shard');
    } catch (e) {
      const why = (e as Error).message.replace(/^cannot read weight shard "[^"]*": /, '');
      throw new Error(`weight shard ${file} listed in ${jsonFile} cannot be read: ${why}`);
    }
    buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
  const sizes = group.weights.map(entryBytes);
  if (sizes.every((s) => s !== undefined)) {
    const expected = (sizes as number[]).reduce((a, b) => a + b, 0);
    const actual = buffers.reduce((a, b) => a + b.byteLength, 0);
    if (actual !== expected) {
      throw new Error(
        `weight shard${files.length > 1 ? 's' : ''} ${files.join(', ')} listed in ${jsonFile} hold${files.length > 1 ? '' : 's'} ${actual} bytes, but the manifest's ${group.weights.length} weights need ${expected} bytes (${actual < expected ? 'truncated' : 'extra data'})`,
      );
    }
  }
  return buffers;
}

function shardName(i: number, n: number): string {
  return `group1-shard${i + 1}of${n}.bin`;
}

/**
 * An existing directory is replaced only if it holds nothing but a model
 * (model.json and .bin shards): saving must never delete a user's other files.
 */
async function checkReplaceable(fs: Fs, dir: string): Promise<void> {
  let stat: import('node:fs').Stats;
  try {
    stat = await fs.stat(dir);
  } catch {
    return;
  }
  if (!stat.isDirectory()) throw new Error(`cannot save a model to ${dir}: it exists and is not a directory`);
  const others = (await fs.readdir(dir)).filter((f) => f !== MODEL_JSON && f !== COMPLETE_MARKER && !f.endsWith('.bin'));
  if (others.length > 0) {
    throw new Error(
      `cannot save a model to ${dir}: it holds files other than ${MODEL_JSON} and .bin shards (${others.slice(0, 5).join(', ')}); choose an empty or new directory`,
    );
  }
}

async function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, options: FileIOOptions): Promise<void> {
  const { fs, path } = await nodeModules();
  const target = path.resolve(dir);
  await checkReplaceable(fs, target);
  const weights = new tf.io.CompositeArrayBuffer(artifacts.weightData ?? []);
  const total = weights.byteLength;
  const max = options.maxShardBytes ?? Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw new Error(`saveModel: maxShardBytes must be a positive number of bytes, got ${options.maxShardBytes}`);
  const count = Math.max(1, Math.ceil(total / max));
  const files: Record<string, Uint8Array | string> = {};
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const begin = Number.isFinite(max) ? i * max : 0;
    const end = Number.isFinite(max) ? Math.min(total, begin + max) : total;
    const name = shardName(i, count);
    files[name] = new Uint8Array(weights.slice(begin, end));
    paths.push(name);
  }
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
  if (artifacts.modelInitializer != null) modelJSON.modelInitializer = artifacts.modelInitializer;
  files[MODEL_JSON] = JSON.stringify(modelJSON);
  // At every instant `target` holds either the old or the new model, never a mix.
  await writeDirectoryAtomic(target, files);
}

async function readArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const { path } = await nodeModules();
  // Accepting the model.json path too mirrors tf.loadLayersModel('…/model.json').
  // A directory is read through the crash recovery of atomic writes: a save cut short leaves the previous model beside it.
  const jsonFile = dir.endsWith('.json')
    ? path.resolve(dir)
    : path.join((await findAtomicDirectory(dir)) ?? path.resolve(dir), MODEL_JSON);
  const target = path.dirname(jsonFile);
  const modelJSON = await readModelJSON(jsonFile);
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) buffers.push(...(await readGroup(path, target, jsonFile, group)));
    return [tf.io.getWeightSpecs(manifest), buffers];
  });
}

/**
 * A tfjs IO handler that saves to and loads from a directory: `model.json`
 * plus `group1-shard*of*.bin`. Saving writes a temporary sibling directory and
 * renames it into place, so a crash never leaves a half-written model.
 *
 * @param dir A directory path or a `file://` URL; loading also accepts the
 *   path of the `model.json` itself.
 * @example `await model.save(fileIO('runs/best'))`, `await tf.loadLayersModel(fileIO('runs/best'))`
 */
export function fileIO(dir: string, options: FileIOOptions = {}): tf.io.IOHandler {
  const local = stripScheme(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(`saveModel ${local}: binary model topologies are not supported; expected a JSON topology`);
      }
      await writeArtifacts(local, artifacts, options);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: () => readArtifacts(local),
  };
}

let routerRegistered = false;
let probing = false;

/**
 * Routes `file://` URLs of `model.save()` / `tf.loadLayersModel()` to
 * {@link fileIO}. Called when `@seg/core` is imported; idempotent.
 */
export function registerFileRouter(): void {
  if (routerRegistered) return;
  routerRegistered = true;
  const router = (url: string | string[], kind: 'save' | 'load') => {
    if (probing || typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
    // tfjs-node registers its own file:// handler and tfjs refuses to save when
    // two routers answer, so this one steps back whenever another one exists.
    probing = true;
    try {
      const others = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
      if (others.length > 0) return null;
    } finally {
      probing = false;
    }
    return fileIO(url);
  };
  tf.io.registerSaveRouter((url) => router(url, 'save') as tf.io.IOHandler);
  tf.io.registerLoadRouter((url) => router(url, 'load') as tf.io.IOHandler);
}

registerFileRouter();

/**
 * Saves a model to a directory as `model.json` + `group1-shard1of1.bin`,
 * atomically, in Node without tfjs-node. The files load in the browser with
 * `tf.loadLayersModel('<url>/model.json')`.
 *
 * @param dir A directory path or `file://` URL; an existing directory is
 *   replaced only if it holds nothing but a model.
 */
export async function saveModel(model: LayersModel, dir: string, options: FileIOOptions = {}): Promise<tf.io.SaveResult> {
  return model.save(fileIO(dir, options));
}

/**
 * Loads a model saved by {@link saveModel}, the tfjs converter or
 * `model.save('downloads://')` from a directory holding its `model.json`.
 *
 * @throws Naming the file, if model.json is missing or corrupt, a shard is
 *   missing or shorter than the manifest says, or a weight path points outside
 *   the directory.
 */
export async function loadModel(dir: string): Promise<LayersModel> {
  return loadLayersModel(fileIO(dir));
}
