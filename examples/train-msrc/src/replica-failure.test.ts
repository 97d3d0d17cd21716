// A replica that fails mid-run ends train-msrc with an error naming it (the CLI
// then exits 1), keeps the last good checkpoint, releases the run lock, and
// says so in log.jsonl and the report. The replicas load the built packages:
// `pnpm build` first (pnpm test does).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticMsrc } from '@seg/msrc';
import { afterAll, expect, it, vi } from 'vitest';
import { DEFAULT_TRAIN_MSRC_OPTIONS } from './options.js';
import { trainMsrc } from './train-msrc.js';

vi.mock('@seg/deeplab/node', async (importOriginal) => {
  const real = await importOriginal<typeof import('@seg/deeplab/node')>();
  return {
    ...real,
    replicaWorkers: async (...args: Parameters<typeof real.replicaWorkers>) => {
      const workers = await real.replicaWorkers(...args);
      return workers && { ...workers, replica: new URL('../test/faulty-msrc-replica.mjs', import.meta.url) };
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'seg-train-msrc-replica-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a replica failing at its 3rd step: named error, last good checkpoint kept, lock released, failure logged', async () => {
  const data = await generateSyntheticMsrc(join(dir, 'data'), { count: 12, seed: 3, width: 64, height: 43 });
  const out = join(dir, 'run');
  const options = {
    ...DEFAULT_TRAIN_MSRC_OPTIONS,
    data: data.root,
    out,
    backbone: 'resnet18' as const,
    backboneOptions: { baseWidth: 8 },
    decoderChannels: 16,
    outputStride: 16 as const,
    trainTrunk: true,
    iterations: 6,
    batchSize: 2,
    cropSize: 48,
    logFreq: 2,
    valImages: 2,
    backend: 'wasm' as const,
    workers: 2,
  };
  const lines: string[] = [];
  const error = (await trainMsrc(options, (l) => lines.push(l)).catch((e: Error) => e)) as Error;
  expect(error.message).toMatch(/^Trainer: replica 1 failed: out of memory in the loss \(injected\)/);
  expect(lines).toContain(`checkpoint @iteration 2 in ${join(out, 'checkpoint')}`);
  expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')).sections.trainer.step).toBe(2);
  expect(existsSync(join(out, 'run.lock'))).toBe(false);
  expect(existsSync(join(out, 'checkpoint.lock'))).toBe(false);
  const records = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(records.at(-1)).toMatchObject({ type: 'end', reason: 'failed', step: 2, error: expect.stringMatching(/replica 1 failed/) });
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/failed at iteration 3: Trainer: replica 1 failed/);
  // The checkpoint it names resumes (in one thread here).
  const resumed = await trainMsrc({ ...options, workers: 1, loadCheckpoint: true, iterations: 4, allowConfigChange: ['iterations'] }, () => {});
  expect(resumed.steps).toBe(4);
});
