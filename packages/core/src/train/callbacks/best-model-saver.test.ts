import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { BestModelSaver } from './best-model-saver.js';

const root = mkdtempSync(join(tmpdir(), 'seg-best-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A saver that records the steps it saved at instead of writing files. */
function recording(args: Partial<ConstructorParameters<typeof BestModelSaver>[0]> = {}) {
  const saves: string[] = [];
  const warnings: string[] = [];
  const saver = new BestModelSaver({
    dir: join(root, 'best'),
    monitor: 'acc',
    save: async (_m, dir) => void saves.push(dir),
    warn: (m) => void warnings.push(m),
    ...args,
  });
  return { saver, saves, warnings };
}
const model = {} as LayersModel;

describe('BestModelSaver', () => {
  it('validates its trigger settings, naming the value', () => {
    expect(() => new BestModelSaver({ dir: 'x', monitor: '' })).toThrow('BestModelSaver: monitor must name an evaluation score, got ""');
    expect(() => new BestModelSaver({ dir: 'x', monitor: 'acc', every: 0 })).toThrow('BestModelSaver: every must be a positive integer, got 0');
    expect(() => new BestModelSaver({ dir: 'x', monitor: 'acc', mode: 'up' as 'max' })).toThrow(`mode must be 'max' or 'min', got "up"`);
  });

  it('saves on improvement at steps that are multiples of `every` and at the last evaluation, never for NaN', async () => {
    const { saver, saves } = recording({ every: 4 });
    const decisions = [];
    for (const [step, acc, last] of [[2, 0.5, false], [4, 0.4, false], [8, 0.6, false], [10, Number.NaN, false], [12, Number.NaN, false], [13, 0.7, true]] as const) {
      decisions.push(await saver.consider(model, step, { acc }, last));
    }
    expect(decisions).toEqual(['not-checked', 'saved', 'saved', 'not-checked', 'not-better', 'saved']);
    expect(saves).toHaveLength(3);
    expect(saver.saved).toEqual({ score: 0.7, step: 13 });
    await expect(saver.consider(model, 16, { loss: 1 }, false)).rejects.toThrow('monitored score "acc" is missing; the evaluation returned loss');
  });

  it('restores its best score, refuses another monitor, and warns when the folder changed', async () => {
    const { saver } = recording({ mode: 'min' });
    await saver.consider(model, 1, { acc: 0.3 }, false);
    const state = saver.getState();
    const other = recording({ mode: 'min', dir: join(root, 'elsewhere') });
    other.saver.checkState(state, 'ckpt: sections.bestModel');
    other.saver.setState(state, 'ckpt: sections.bestModel');
    expect(other.warnings[0]).toContain(`the best model so far (acc 0.3 at step 1) was saved to ${join(root, 'best')}; this run saves to ${join(root, 'elsewhere')}`);
    expect(await other.saver.consider(model, 2, { acc: 0.4 }, false)).toBe('not-better');
    expect(() => recording({ monitor: 'iou', mode: 'min' }).saver.checkState(state, 'ckpt: sections.bestModel')).toThrow(
      'ckpt: sections.bestModel: the checkpoint\'s BestModelSaver watched min "acc", this BestModelSaver watches min "iou"',
    );
    expect(() => recording({ mode: 'min' }).saver.checkState({ ...state, bestStep: -1 }, 'ckpt: sections.bestModel')).toThrow(
      'ckpt: sections.bestModel.bestStep: expected an integer >= 0, got -1',
    );
  });
});
