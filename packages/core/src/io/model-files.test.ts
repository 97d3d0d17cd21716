import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTripInMemory, useBackend } from '../../../../test-utils/backends.js';
import { COMPLETE_MARKER, writeDirectoryAtomicSteps } from './atomic-files.js';
import { fileIO, loadModel, saveModel } from './model-files.js';

const root = mkdtempSync(join(tmpdir(), 'seg-model-files-'));
let n = 0;
const freshDir = () => join(root, `m${n++}`);

function tinyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 3] });
  const conv = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input);
  const bn = tfl.layers.batchNormalization({ name: 'bn' }).apply(conv);
  const out = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'head' }).apply(bn) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const probe = () => tf.randomUniform([2, 4, 4, 3], -1, 1, 'float32', 7);

async function predict(model: tfl.LayersModel): Promise<Float32Array> {
  const x = probe();
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return data;
}

/** Writes a model as a manifest + shard directory with a chosen weight path, as a hostile or foreign writer would. */
async function writeRaw(dir: string, model: tfl.LayersModel, weightPath: string, bytes?: Uint8Array): Promise<void> {
  let artifacts!: tf.io.ModelArtifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  }));
  await mkdir(dir, { recursive: true });
  const data = bytes ?? new Uint8Array(new tf.io.CompositeArrayBuffer(artifacts.weightData!).slice());
  const json = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    weightsManifest: [{ paths: [weightPath], weights: artifacts.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  if (!/[\\/:]/.test(weightPath.replace(/^\.\//, ''))) writeFileSync(join(dir, weightPath), data);
}

describe('model files (Node, no tfjs-node)', () => {
  let model: tfl.LayersModel;
  let expected: Float32Array;
  beforeAll(async () => {
    await useBackend('cpu');
    model = tinyModel();
    expected = await predict(model);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('saves model.json + group1-shard1of1.bin and loads identical predictions, leaving no temp dirs', async () => {
    const dir = freshDir();
    const result = await saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual([COMPLETE_MARKER, 'group1-shard1of1.bin', 'model.json']);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    // conv 3*3*3*5+5, bn 4*5, head 5*2+2 float32 weights
    const floats = 3 * 3 * 3 * 5 + 5 + 4 * 5 + 5 * 2 + 2;
    expect(readFileSync(join(dir, 'group1-shard1of1.bin')).byteLength).toBe(floats * 4);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(floats * 4);
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('splits weights into group1-shardKofN.bin files when maxShardBytes is set', async () => {
    const dir = freshDir();
    await saveModel(model, dir, { maxShardBytes: 256 });
    const bins = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
    expect(bins).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const loaded = await loadModel(join(dir, 'model.json'));
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('replaces an existing model directory but refuses one holding other files', async () => {
    const dir = freshDir();
    await saveModel(tinyModel(), dir, { maxShardBytes: 256 });
    await saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual([COMPLETE_MARKER, 'group1-shard1of1.bin', 'model.json']);
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(saveModel(model, dir)).rejects.toThrow(/holds files other than model\.json.*notes\.txt/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('routes file:// URLs of model.save and tf.loadLayersModel', async () => {
    const url = pathToFileURL(freshDir()).href;
    await model.save(url);
    const loaded = await tfl.loadLayersModel(url);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('writes files that tfjs loads over HTTP as in the browser', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const base = 'https://models.example/deeplab/';
    const fetchFunc = (async (input: string | URL | Request) => {
      const url = String(input);
      expect(url.startsWith(base)).toBe(true);
      return new Response(await readFile(join(dir, url.slice(base.length))));
    }) as typeof fetch;
    const loaded = await tfl.loadLayersModel(tf.io.http(`${base}model.json`, { fetchFunc }));
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('loads files in the browser-download layout (./model.weights.bin)', async () => {
    const dir = freshDir();
    await writeRaw(dir, model, './model.weights.bin');
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('round-trips through tf.io in-memory artifacts', async () => {
    const loaded = await roundTripInMemory(model);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });

  it('refuses a missing shard, naming the file', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    rmSync(join(dir, 'group1-shard1of1.bin'));
    await expect(loadModel(dir)).rejects.toThrow(
      `weight shard ${resolve(dir, 'group1-shard1of1.bin')} listed in ${resolve(dir, 'model.json')} cannot be read: the file is missing`,
    );
  });

  it('refuses a corrupt or missing model.json, naming the file', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const jsonFile = resolve(dir, 'model.json');
    writeFileSync(jsonFile, readFileSync(jsonFile, 'utf8').slice(0, 100));
    await expect(loadModel(dir)).rejects.toThrow(`${jsonFile} is not valid JSON`);
    writeFileSync(jsonFile, '{"weightsManifest": []}');
    await expect(loadModel(dir)).rejects.toThrow(`${jsonFile} has no modelTopology object`);
    rmSync(jsonFile);
    await expect(loadModel(dir)).rejects.toThrow(`cannot read model file "${jsonFile}": ENOENT`);
  });

  it.each(['../outside.bin', 'sub/../../outside.bin', '/etc/passwd', 'C:\\weights.bin', 'https://evil.example/w.bin'])(
    'refuses the weight path %s outside the directory',
    async (weightPath) => {
      const dir = freshDir();
      await writeRaw(dir, model, weightPath);
      writeFileSync(join(root, 'outside.bin'), new Uint8Array(1000));
      await expect(loadModel(dir)).rejects.toThrow(/points outside the model directory/);
    },
  );

  it('refuses a shard that is a symbolic link to a file outside the directory', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const shard = resolve(dir, 'group1-shard1of1.bin');
    const outside = join(root, `stolen-${Date.now()}.bin`);
    renameSync(shard, outside);
    symlinkSync(outside, shard);
    await expect(loadModel(dir)).rejects.toThrow(
      `weight shard ${shard} listed in ${resolve(dir, 'model.json')} cannot be read: it is a link to ${outside}, outside the folder`,
    );
  });

  it('refuses a model.json without weights instead of loading random weights', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const jsonFile = resolve(dir, 'model.json');
    const json = JSON.parse(readFileSync(jsonFile, 'utf8'));
    delete json.weightsManifest;
    writeFileSync(jsonFile, JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(`${jsonFile} has no weightsManifest, so it holds no weights`);
  });

  it('refuses a FIFO as a weight shard instead of hanging on it', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const shard = resolve(dir, 'group1-shard1of1.bin');
    rmSync(shard);
    execFileSync('mkfifo', [shard]);
    await expect(loadModel(dir)).rejects.toThrow(
      `weight shard ${shard} listed in ${resolve(dir, 'model.json')} cannot be read: it is not a regular file (a FIFO, socket or device)`,
    );
  });

  it('loads the newest complete copy a killed save left beside the model directory', async () => {
    const dir = freshDir();
    const base = dir.split('/').pop()!;
    await saveModel(model, dir);
    // Killed between moving the old model aside and moving the new one in, under the old scheme: only <dir>.old-… is left.
    renameSync(dir, `${dir}.old-20260101T000000000Z-000001-1`);
    let loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
    // Killed at the same point now: the new copy is complete (its marker is written before any rename) and wins.
    const other = tinyModel();
    const files: Record<string, Uint8Array> = {};
    const scratch = freshDir();
    await saveModel(other, scratch);
    for (const f of readdirSync(scratch).filter((f) => f !== COMPLETE_MARKER)) files[f] = readFileSync(join(scratch, f));
    await saveModel(model, dir);
    const steps = writeDirectoryAtomicSteps(dir, files);
    for (let s = await steps.next(); !s.done && s.value !== 'moved-old-aside'; s = await steps.next());
    loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(other));
    loaded.dispose();
    await saveModel(model, dir);
    expect(readdirSync(root).filter((f) => f.startsWith(`${base}.`))).toEqual([]);
  });

  it('refuses a shard shorter (or longer) than the manifest says', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    const shard = resolve(dir, 'group1-shard1of1.bin');
    const bytes = readFileSync(shard);
    writeFileSync(shard, bytes.subarray(0, bytes.byteLength - 4));
    await expect(loadModel(dir)).rejects.toThrow(`weight shard ${shard} listed in ${resolve(dir, 'model.json')} holds ${bytes.byteLength - 4} bytes, but the manifest's`);
    await expect(loadModel(dir)).rejects.toThrow(/truncated/);
    writeFileSync(shard, Buffer.concat([bytes, Buffer.alloc(4)]));
    await expect(loadModel(dir)).rejects.toThrow(/extra data/);
  });

  it('does not leak tensors when loading fails', async () => {
    const dir = freshDir();
    await saveModel(model, dir);
    rmSync(join(dir, 'group1-shard1of1.bin'));
    const before = tf.memory().numTensors;
    await expect(loadModel(dir)).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fileIO works as a plain handler for model.save and loadLayersModel', async () => {
    const dir = freshDir();
    await model.save(fileIO(dir));
    const loaded = await tfl.loadLayersModel(fileIO(`${pathToFileURL(dir).href}`));
    expect(await predict(loaded)).toEqual(expected);
    loaded.dispose();
  });
});
