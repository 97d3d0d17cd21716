// A checkpoint folder is read as strictly as a model folder: damage is an
// error naming the file, never "no checkpoint" (which would restart the run at
// step 0 over the old files), and no link leads the run to another run's files.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyRun } from '../../../../../test-utils/tiny-run.js';
import '../../registration.js';

const root = mkdtempSync(join(tmpdir(), 'seg-checkpoint-strict-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
let n = 0;
const weightsOf = (m: { getWeights(): tf.Tensor[] }) => m.getWeights().map((w) => Array.from(w.dataSync()));

/** A finished 2-step run's folder (checkpoint in `<dir>/checkpoint`). */
async function finishedRun(): Promise<string> {
  const dir = join(root, `run${n++}`);
  const { trainer, fit } = tinyRun({ dir, steps: 2 });
  await trainer.fit(fit);
  trainer.model.dispose();
  return dir;
}

/** A fresh trainer of the tiny run on `dir`, its weights before restoring, and the checkpoint's bytes. */
function fresh(dir: string) {
  const { trainer, fit } = tinyRun({ dir, steps: 4, modelSeed: 9 });
  const checkpoint = join(dir, 'checkpoint');
  // A FIFO would block the read: only regular files' bytes count.
  const read = (f: string) => (lstatSync(join(checkpoint, f)).isFile() ? readFileSync(join(checkpoint, f)).toString('base64') : 'not a file');
  const bytes = () => readdirSync(checkpoint).sort().map((f) => `${f}:${read(f)}`);
  return { trainer, fit, checkpoint, before: weightsOf(trainer.model), bytes: bytes(), bytesNow: bytes };
}

describe('a checkpoint folder without a readable state.json', () => {
  it.each([
    ['deleted', (file: string) => rmSync(file), /holds .*weights\.safetensors.* but no state\.json, so it cannot be resumed/],
    [
      'replaced by a FIFO',
      (file: string) => {
        rmSync(file);
        execFileSync('mkfifo', [file]);
      },
      /but a state\.json that is not a regular file \(a FIFO/,
    ],
  ])('(%s) is an error for restore() and fit(), which change nothing', async (_what, damage, message) => {
    const dir = await finishedRun();
    damage(join(dir, 'checkpoint', 'state.json'));
    const { trainer, fit, before, bytes, bytesNow } = fresh(dir);
    await expect(trainer.restore(fit.checkpointDir!)).rejects.toThrow(message);
    // Without restoring, fit() must not take the folder for empty and start at step 0 over it.
    await expect(trainer.fit(fit)).rejects.toThrow(/holds the checkpoint of another run/);
    expect(trainer.step).toBe(0);
    expect(weightsOf(trainer.model)).toEqual(before);
    expect(bytesNow()).toEqual(bytes);
    trainer.model.dispose();
  });

  it('an empty folder is no checkpoint: a new run starts there', async () => {
    const dir = join(root, `run${n++}`);
    const { trainer, fit } = tinyRun({ dir, steps: 1 });
    execFileSync('mkdir', ['-p', join(dir, 'checkpoint')]);
    expect(await trainer.restore(fit.checkpointDir!)).toBeNull();
    trainer.model.dispose();
  });
});

describe('a link in a checkpoint folder', () => {
  it.each(['weights.safetensors', 'optimizers.safetensors', 'state.json'])(
    'to another run\'s %s is refused, naming it, and nothing is assigned',
    async (file) => {
      const mine = await finishedRun();
      const other = await finishedRun();
      const link = join(mine, 'checkpoint', file);
      rmSync(link);
      symlinkSync(join(other, 'checkpoint', file), link);
      const { trainer, fit, before } = fresh(mine);
      const error = (await trainer.restore(fit.checkpointDir!).catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(file === 'state.json' ? /state\.json that is not a regular file \(a link\)/ : /is a link to .*, outside the folder/);
      expect(error.message).toContain(file === 'state.json' ? join(mine, 'checkpoint') : link);
      expect(weightsOf(trainer.model)).toEqual(before);
      expect(trainer.step).toBe(0);
      trainer.model.dispose();
    },
  );

  it('within the folder is followed (a copy moved aside by hand still reads)', async () => {
    const dir = await finishedRun();
    const ckpt = join(dir, 'checkpoint');
    renameSync(join(ckpt, 'weights.safetensors'), join(ckpt, 'weights-copy.safetensors'));
    symlinkSync(join(ckpt, 'weights-copy.safetensors'), join(ckpt, 'weights.safetensors'));
    const { trainer, fit } = fresh(dir);
    expect((await trainer.restore(fit.checkpointDir!, { allowConfigChanges: ['steps'] }))?.step).toBe(2);
    trainer.model.dispose();
  });
});
