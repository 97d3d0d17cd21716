import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { tinyModel, tinyRun } from '../../../../test-utils/tiny-run.js';
import '../registration.js';
import { loadModel } from '../io/model-files.js';
import { encodeSafetensors, parseSafetensors, type SafetensorsInput, safetensorsToFloat32 } from '../io/safetensors.js';
import { sparseSoftmaxCrossEntropy } from '../losses/cross-entropy.js';
import { BestModelSaver } from './callbacks/best-model-saver.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { NonFiniteTrainingError } from './non-finite.js';
import { RunLockedError } from './checkpoint/run-lock.js';
import { ConfigMismatchError } from '../run-state/config-diff.js';
import type { TrainBatch } from './gradient-source.js';
import { Trainer } from './trainer.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'seg-run-state-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ce = (labels: tf.Tensor, logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);
const weightsOf = (m: { getWeights(): tf.Tensor[] }) => m.getWeights().map((w) => Array.from(w.dataSync()));

/** Runs the tiny run to `steps`, resuming from its folder when `resume`; returns the loss of every step it trained. */
async function runTiny(dir: string, steps: number, resume: boolean, modelSeed = 1): Promise<Map<number, number>> {
  const { trainer, fit } = tinyRun({ dir, steps, modelSeed });
  if (resume) await trainer.restore(fit.checkpointDir!, { allowConfigChanges: ['steps'] });
  const losses = new Map<number, number>();
  await trainer.fit({ ...fit, callbacks: [...fit.callbacks, { onStepEnd: ({ step, loss }) => void losses.set(step, loss) }] });
  trainer.model.dispose();
  return losses;
}

describeEachBackend('run state', () => {
  it('resumes data position, optimizer, early stopping and best model so the losses equal an uninterrupted run', async () => {
    const whole = await runTiny(tempDir(), 9, false);
    const dir = tempDir();
    const first = await runTiny(dir, 4, false);
    // Another initial model: the checkpoint must replace all of it.
    const second = await runTiny(dir, 9, true, 77);
    expect([...second.keys()]).toEqual([5, 6, 7, 8, 9]);
    // Exactly: the checkpoint holds the float32 state as the run had it.
    for (const [step, loss] of [...first, ...second]) expect(loss).toBe(whole.get(step)!);
  });

  it('keeps the tensor count flat across checkpoints and restores', async () => {
    const { trainer, fit } = tinyRun({ dir: tempDir(), steps: 4 });
    await trainer.fit(fit);
    // The first restore takes the saved best weights in; later ones replace them.
    await trainer.restore(fit.checkpointDir!);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await trainer.save(fit.checkpointDir!);
      await trainer.restore(fit.checkpointDir!);
    }
    expect(tf.memory().numTensors).toBe(before);
    trainer.model.dispose();
  });

  it('keeps the patience counter and best score of early stopping across a resume', async () => {
    // Scripted scores: best 0.7 at step 4, then two evaluations without improvement, then the stop.
    const scores = [0.5, 0.7, 0.6, 0.65, 0.9];
    const batches = async function* (from: number) {
      for (let i = from; ; i++) yield tinyBatch(i);
    };
    const run = (from: number, model = tinyModel(5)) => new Trainer({ model, loss: ce, groups: [{ name: 'all', learningRate: 0.05 }], data: batches(from) });
    const dir = join(tempDir(), 'ckpt');
    const verdicts: string[] = [];
    const evaluate = (t: Trainer) => async () => ({ meanIoU: scores[t.step / 2 - 1] });
    const esA = new EarlyStopping({ monitor: 'meanIoU', patience: 2 });
    const a = run(0);
    await a.fit({ steps: 6, evaluateEvery: 2, evaluate: evaluate(a), checkpointDir: dir, callbacks: [esA, { onEvaluate: () => void verdicts.push(esA.verdict!) }] });
    expect(verdicts).toEqual(['improved', 'improved', 'waiting']);
    const bestWeightsAt4 = readFileSync(join(dir, 'best-weights.safetensors'));

    const es = new EarlyStopping({ monitor: 'meanIoU', patience: 2 });
    const b = run(6, tinyModel(6));
    await b.restore(dir);
    // The callback's state waits for the fit() it is passed to.
    expect(es.getState()).toMatchObject({ best: null, bestStep: null, wait: 0 });
    const seen: unknown[] = [];
    const result = await b.fit({
      steps: 20,
      evaluateEvery: 2,
      evaluate: evaluate(b),
      callbacks: [es, { onFitStart: () => void seen.push(es.getState()), onEvaluate: () => void verdicts.push(es.verdict!) }],
    });
    expect(seen).toEqual([expect.objectContaining({ best: 0.7, bestStep: 4, wait: 1 })]);
    // Without the restored counter the run would wait two more evaluations and reach 0.9 at step 10.
    expect(verdicts).toEqual(['improved', 'improved', 'waiting', 'stop']);
    expect(result).toMatchObject({ step: 8, stoppedEarly: true });
    expect(es.best).toEqual({ score: 0.7, step: 4 });
    // The best weights restored at the end are step 4's, saved before the interruption.
    const saved = parseSafetensors(new Uint8Array(bestWeightsAt4), 'best');
    expect(weightsOf(b.model)).toEqual([...saved.tensors.values()].map((t) => Array.from(safetensorsToFloat32(t))));
  });

  it('stops at a NaN pixel with an error naming the iteration, keeping the last good checkpoint and best model', async () => {
    const dir = tempDir();
    const model = tinyModel(2);
    const batches = async function* () {
      for (let i = 0; ; i++) {
        const b = tinyBatch(i);
        // One NaN pixel in the batch of iteration 5 (written on the host: webgpu cannot scatter booleans).
        if (i === 4) {
          const pixels = await b.images.data();
          pixels[((0 * 6 + 1) * 6 + 2) * 3] = Number.NaN;
          b.images.dispose();
          b.images = tf.tensor4d(pixels, [2, 6, 6, 3]);
        }
        yield b;
      }
    };
    const trainer = new Trainer({ model, loss: ce, groups: [{ name: 'all', learningRate: 0.05 }], data: batches() });
    // A score that improves at every evaluation: the best model is saved whenever it is evaluated.
    const evaluate = async () => ({ score: trainer.step });
    const callbacks = [new BestModelSaver({ dir: join(dir, 'best'), monitor: 'score' })];
    const error = await trainer
      .fit({ steps: 10, evaluateEvery: 2, checkpointEvery: 2, evaluate, checkpointDir: join(dir, 'checkpoint'), callbacks })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteTrainingError);
    // Named as bad input on every backend: on webgpu the ReLU turns the NaN into 0 before the loss.
    expect(error).toMatchObject({ step: 5, kind: 'input' });
    expect((error as Error).message).toMatch(/training stopped at iteration 5: the batch's images hold NaN or Infinity\. Its update was not applied/);
    expect(trainer.step).toBe(4);
    const after4 = weightsOf(model);
    expect(after4.flat().every(Number.isFinite)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')).sections.trainer.step).toBe(4);
    const best = await loadModel(join(dir, 'best'));
    expect(weightsOf(best)).toEqual(after4);
    best.dispose();
    expect(readdirSync(dir).sort()).toEqual(['best', 'checkpoint']);
  });
});

/** A learnable batch: the label of a pixel is the index of its largest colour channel. */
function tinyBatch(seed: number): TrainBatch {
  return tf.tidy(() => {
    const images = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
  });
}

/** The parts of a checkpoint's state.json the corruption tests edit. */
interface StateJson {
  sections?: { trainer?: { groups?: unknown }; data?: { batch?: unknown }; earlyStopping: { wait: unknown } };
}

describe('checkpoint validation on load', () => {
  async function checkpointOf(steps: number): Promise<string> {
    const dir = tempDir();
    const { trainer, fit } = tinyRun({ dir, steps });
    await trainer.fit(fit);
    trainer.model.dispose();
    return join(dir, 'checkpoint');
  }
  /** A fresh trainer of the tiny run, and its weights before restoring. */
  function fresh(dir: string, steps = 2) {
    const run = tinyRun({ dir: join(dir, '..'), steps, modelSeed: 9 });
    return { ...run, before: weightsOf(run.trainer.model) };
  }

  /** A 2-step checkpoint of the tiny run on cpu whose state.json `edit` changed. */
  async function editedCheckpoint(edit: (s: StateJson) => unknown): Promise<{ dir: string; file: string }> {
    await tf.setBackend('cpu');
    const dir = await checkpointOf(2);
    const file = join(dir, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    edit(state);
    writeFileSync(file, JSON.stringify(state));
    return { dir, file };
  }

  it('refuses an optimizer tensor of the wrong shape before assigning anything, naming file and key', async () => {
    await tf.setBackend('cpu');
    const dir = await checkpointOf(2);
    const file = join(dir, 'optimizers.safetensors');
    const parsed = parseSafetensors(new Uint8Array(readFileSync(file)), file);
    const tensors: Record<string, SafetensorsInput> = {};
    for (const [k, t] of parsed.tensors) {
      const data = safetensorsToFloat32(t);
      // all/00001 is the first moment of trunk/kernel [1,1,3,6]; give it 18 values in another shape.
      tensors[k] = { dtype: 'F32', shape: k === 'all/00001' ? [3, 6] : t.shape, data };
    }
    writeFileSync(file, encodeSafetensors(tensors));
    const { trainer, before } = fresh(dir);
    const error = (await trainer.restore(dir).catch((e: Error) => e)) as Error;
    expect(error.message.startsWith(`checkpoint ${file}: optimizer tensor "all/00001" (trunk/kernel`)).toBe(true);
    // tfjs suffixes the variable names of later models in one process (trunk/kernel_14).
    expect(error.message).toMatch(/\(trunk\/kernel(_\d+)?\/m\) has shape \[3,6\], but group "all" weight 0 \(trunk\/kernel(_\d+)?\) has shape \[1,1,3,6\]$/);
    expect(weightsOf(trainer.model)).toEqual(before);
    expect(trainer.step).toBe(0);
  });

  it.each([
    ['the trainer section', (s: StateJson) => delete s.sections!.trainer, /sections\.trainer: expected the trainer state as a JSON object, got nothing/],
    ['the groups', (s: StateJson) => delete s.sections!.trainer!.groups, /sections\.trainer\.groups: expected the optimizer groups as an array, got nothing/],
    ['the data position', (s: StateJson) => delete s.sections!.data, /sections\.data is missing, but this run has data/],
    ['the data batch', (s: StateJson) => delete s.sections!.data!.batch, /sections\.data\.batch: expected an integer >= 0, got nothing/],
    ['the sections', (s: StateJson) => delete s.sections, /sections: expected the state sections as a JSON object, got nothing/],
  ])('refuses a state.json without %s, naming file and key, and assigns nothing', async (_what, edit, message) => {
    const { dir, file } = await editedCheckpoint(edit);
    const { trainer, before } = fresh(dir);
    const error = await trainer.restore(dir).catch((e: Error) => e);
    expect((error as Error).message).toContain(`checkpoint ${file}`);
    expect((error as Error).message).toMatch(message);
    expect(weightsOf(trainer.model)).toEqual(before);
  });

  it.each([
    ['a patience counter that is not a number', (s: StateJson) => (s.sections!.earlyStopping.wait = 'x'), /sections\.earlyStopping\.wait: expected an integer >= 0, got "x"/],
    ['no early-stopping section', (s: StateJson) => delete (s.sections as { earlyStopping?: unknown }).earlyStopping, /sections\.earlyStopping is missing, but this run has earlyStopping/],
    ['a section no callback owns', (s: StateJson) => ((s.sections as Record<string, unknown>).swa = {}), /sections\.swa is in the checkpoint, but this run has no part with stateKey "swa"/],
  ])('refuses callback state with %s when fit() starts, naming file and key, changing no callback and writing nothing', async (_what, edit, message) => {
    const { dir, file } = await editedCheckpoint(edit);
    const written = readFileSync(file);
    const { trainer, fit, earlyStopping, bestModel } = fresh(dir, 4);
    await trainer.restore(dir, { allowConfigChanges: ['steps'] });
    const steps: number[] = [];
    const error = await trainer.fit({ ...fit, callbacks: [...fit.callbacks, { onStepEnd: (s) => void steps.push(s.step) }] }).catch((e: Error) => e);
    expect((error as Error).message).toContain(`checkpoint ${file}`);
    expect((error as Error).message).toMatch(message);
    expect(steps).toEqual([]);
    expect(earlyStopping.getState()).toMatchObject({ best: null, wait: 0 });
    expect(bestModel.saved).toEqual({ score: null, step: null });
    expect(readFileSync(file)).toEqual(written);
  });

  it('refuses a resume with another configuration, naming the keys, unless they are allowed to change', async () => {
    await tf.setBackend('cpu');
    const dir = await checkpointOf(2);
    const { trainer } = tinyRun({ dir: join(dir, '..'), steps: 5, learningRate: 0.1 });
    const error = await trainer.restore(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConfigMismatchError);
    expect((error as Error).message).toContain('learningRate: 0.05 → 0.1, steps: 2 → 5');
    await expect(trainer.restore(dir, { allowConfigChanges: ['steps'] })).rejects.toThrow(/learningRate: 0\.05 → 0\.1\)/);
    const restored = await trainer.restore(dir, { allowConfigChanges: ['steps', 'learningRate'] });
    expect(restored?.configChanges.map((c) => c.key)).toEqual(['learningRate', 'steps']);
    expect(trainer.step).toBe(2);
  });

  it('refuses to replace the checkpoint of a run it did not restore', async () => {
    await tf.setBackend('cpu');
    const dir = await checkpointOf(2);
    const before = readFileSync(join(dir, 'state.json'));
    const { trainer, fit } = tinyRun({ dir: join(dir, '..'), steps: 4, modelSeed: 3 });
    await expect(trainer.fit(fit)).rejects.toThrow(
      `Trainer.fit: ${dir} holds the checkpoint of another run (${dir}); call restore('${dir}') first to continue it`,
    );
    expect(readFileSync(join(dir, 'state.json'))).toEqual(before);
    await trainer.restore(dir, { allowConfigChanges: ['steps'] });
    await trainer.fit(fit);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).sections.trainer.step).toBe(4);
  });

  it('refuses a second run on a checkpoint folder in use, naming the holder', async () => {
    await tf.setBackend('cpu');
    const dir = tempDir();
    const a = tinyRun({ dir, steps: 6 });
    const b = tinyRun({ dir, steps: 6, modelSeed: 3 });
    const results = await Promise.allSettled([a.trainer.fit(a.fit), b.trainer.fit(b.fit)]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(RunLockedError);
    expect(rejected[0].reason.message).toContain(`the folder is in use by process ${process.pid}`);
    // The run that got the lock finished with its own checkpoint; the lock is gone.
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')).sections.trainer.step).toBe(6);
    expect(existsSync(join(dir, 'checkpoint.lock'))).toBe(false);
  });
});

describe('resume after SIGKILL', () => {
  const child = fileURLToPath(new URL('../../../../test-utils/kill-resume-run.ts', import.meta.url));
  const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
  type Line = { step?: number; loss?: number; resumed?: number; done?: number };

  /** Runs the child; `killAfter` SIGKILLs it once it printed that step. */
  function runChild(dir: string, steps: number, killAfter?: number): Promise<{ lines: Line[]; killed: boolean }> {
    return new Promise((done, fail) => {
      const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', child, dir, String(steps)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: Line[] = [];
      let buffered = '';
      let stderr = '';
      p.stderr!.on('data', (d) => (stderr += d));
      p.stdout!.on('data', (d) => {
        buffered += d;
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const l of parts.filter((x) => x.startsWith('{'))) {
          const line = JSON.parse(l) as Line;
          lines.push(line);
          if (killAfter !== undefined && line.step === killAfter) p.kill('SIGKILL');
        }
      });
      p.on('error', fail);
      p.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') done({ lines, killed: true });
        else if (code === 0) done({ lines, killed: false });
        else fail(new Error(`child exited with ${code}: ${stderr}`));
      });
    });
  }

  it('reproduces the uninterrupted run bit for bit (losses, weights, Adam moments) after being killed mid-run, twice', async () => {
    const wholeDir = tempDir();
    const whole = await runChild(wholeDir, 12);
    const expected = new Map(whole.lines.filter((l) => l.step).map((l) => [l.step!, l.loss!]));
    expect(expected.size).toBe(12);
    const dir = tempDir();
    const seen = new Map<number, number>();
    const record = (lines: Line[]) => {
      for (const l of lines) if (l.step) seen.set(l.step, l.loss!);
    };
    const a = await runChild(dir, 12, 4);
    expect(a.killed).toBe(true);
    record(a.lines);
    const b = await runChild(dir, 12, 9);
    expect(b.lines[0].resumed).toBeGreaterThanOrEqual(3);
    record(b.lines);
    const c = await runChild(dir, 12);
    expect(c.lines[0].resumed).toBeGreaterThanOrEqual(8);
    expect(c.lines.at(-1)).toEqual({ done: 12 });
    record(c.lines);
    for (const [step, loss] of expected) expect(seen.get(step)).toBe(loss);
    // The last checkpoints, byte for byte: the same weights and optimizer state as the run never killed (cpu is deterministic).
    for (const file of ['weights.safetensors', 'optimizers.safetensors']) {
      expect(readFileSync(join(dir, 'checkpoint', file)).equals(readFileSync(join(wholeDir, 'checkpoint', file))), file).toBe(true);
    }
    // Nothing the kills left behind survives the next successful write; the stale locks were taken over.
    expect(readdirSync(dir).sort()).toEqual(['best', 'checkpoint']);
  });
});
