// Replicas that fail in every way a real one can — throw, exit, abort, die of a
// signal, crash after answering, block, never start — make the step reject
// naming the replica and the cause, end the others, and leave nothing behind.
// The replicas load the built @seg/core: `pnpm build` first (pnpm test does).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../registration.js';
import type { TrainBatch } from '../gradient-source.js';
import { Trainer } from '../trainer.js';
// @ts-expect-error: a plain-JS fixture without types (replicas load it too).
import { loss, tinyModel } from './fixtures/tiny-replica.mjs';
import { replicaTimeoutMs, type TrainerWorkers } from './workers.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function threadCount(): Promise<number> {
  return Number(/Threads:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))![1]);
}

async function* batches(): AsyncGenerator<TrainBatch> {
  for (let i = 0; ; i++) {
    yield tf.tidy(() => {
      const images = tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', i) as tf.Tensor4D;
      return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
    });
  }
}

type Fault = { replica: number; at: number; how: 'throw' | 'exit' | 'abort' | 'uncaught' | 'block' | 'hang' | 'kill' };

/** Trains with a faulty replica until it fails; returns the error, the time it took and whether threads and tensors are back. */
async function failingFit(transport: 'thread' | 'process', fault: Fault, extra: Partial<TrainerWorkers> = {}) {
  const threads = await threadCount();
  const tensors = tf.memory().numTensors;
  const model = tinyModel({}) as tfl.LayersModel;
  const workers = { count: 2, replica: fixture('faulty-replica.mjs'), transport, args: { fault }, ...extra };
  const trainer = new Trainer({ model, loss, workers, data: batches() });
  const started = performance.now();
  const error = (await trainer.fit({ steps: 10 }).then(
    () => null,
    (e: Error) => e,
  )) as Error | null;
  const seconds = (performance.now() - started) / 1000;
  await trainer.dispose();
  const step = trainer.step;
  model.dispose();
  return { error, seconds, step, threadsBack: (await threadCount()) === threads, tensorsBack: tf.memory().numTensors === tensors };
}

describe('a failing replica', () => {
  it.each([
    ['thread', 'throw', /replica 1 failed: no model today/],
    ['process', 'throw', /replica 1 failed: no model today/],
    ['thread', 'exit', /replica 1 failed: exited \(code 3\)/],
    ['process', 'exit', /replica 1 failed: exited \(code 3\)/],
    ['thread', 'uncaught', /replica 1 failed: uncaught failure/],
    ['process', 'uncaught', /replica 1 failed: exited \(code 1\): Error: uncaught failure/],
    ['thread', 'abort', /replica 1 failed: process\.abort\(\) is not supported in workers/],
    ['process', 'abort', /replica 1 failed: exited \(signal SIGABRT\)/],
    ['process', 'kill', /replica 1 failed: exited \(signal SIGKILL\)/],
  ] as const)('%s replica that does "%s" at its 3rd step: fit rejects naming it, the others end, nothing leaks', async (transport, how, message) => {
    const r = await failingFit(transport, { replica: 1, at: 3, how });
    expect(r.error?.message).toMatch(message);
    // Steps 1 and 2 trained; the 3rd was not applied.
    expect(r.step).toBe(2);
    expect(r.seconds).toBeLessThan(30);
    expect(r.threadsBack).toBe(true);
    expect(r.tensorsBack).toBe(true);
  });

  it.each(['thread', 'process'] as const)('a %s replica that fails while building its model names itself', async (transport) => {
    const r = await failingFit(transport, { replica: 0, at: 0, how: 'throw' });
    expect(r.error?.message).toMatch(/replica 0 failed: no model today/);
    expect(r.step).toBe(0);
    expect(r.threadsBack).toBe(true);
  });

  it.each([
    ['thread', { replica: 1, at: 2, how: 'block' }, /replica 1 failed: did not answer within 15 s \(workers\.stepTimeoutMs\); its slowest step so far took \d+\.\d s, so it was ended/],
    ['process', { replica: 1, at: 2, how: 'block' }, /replica 1 failed: did not answer within 15 s/],
    ['thread', { replica: 1, at: 0, how: 'hang' }, /replica 1 failed: did not answer within 15 s \(workers\.stepTimeoutMs\), so it was ended/],
  ] as const)('a hung %s replica (%o) is ended after workers.stepTimeoutMs and named', async (transport, fault, message) => {
    // The limit also covers starting: at 2 s, a healthy replica 0 still loading tfjs on a loaded
    // machine timed out first. 15 s leaves room for that and is still far below the 10-minute default.
    const r = await failingFit(transport, fault as Fault, { stepTimeoutMs: 15_000 });
    expect(r.error?.message).toMatch(message);
    expect(r.seconds).toBeLessThan(120);
    expect(r.threadsBack).toBe(true);
  });

  // A child process with nothing else alive, as a user's script: a promise left pending when the
  // replicas' handles go away ends Node with exit code 13 and no error at all.
  const run = (transport: string, how: string, at: number, loop: 'fit' | 'trainStep') =>
    spawnSync(process.execPath, [fileURLToPath(fixture('train-with-failing-replica.mjs')), transport, how, String(at), loop], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each([
    ['thread', 0],
    ['process', 0],
    ['thread', 3],
    ['process', 3],
  ] as const)('a top-level `for … await trainStep()` with nothing else alive, %s replica whose module throws at step %i (0: building) → exit code 1 naming it, not 13', (transport, at) => {
    const r = run(transport, 'throw', at, 'trainStep');
    expect(r.stderr).toMatch(/Error: Trainer: replica 1 failed: no model today/);
    expect(r.status).toBe(1);
  });

  it.each([
    ['thread', 'exit', 0, /exited \(code 3\)/],
    ['process', 'exit', 0, /exited \(code 3\)/],
    ['thread', 'exit', 3, /exited \(code 3\)/],
    ['process', 'exit', 3, /exited \(code 3\)/],
    ['process', 'uncaught', 3, /exited \(code 1\): Error: uncaught failure/],
  ] as const)('settles a top-level `await fit()` with nothing else alive: %s replica, %s at step %i → exit code 1, not 13', (transport, how, at, cause) => {
    const r = run(transport, how, at, 'fit');
    expect(r.stderr).toMatch(new RegExp(`Error: Trainer: replica 1 failed: ${cause.source}`));
    expect(r.status).toBe(1);
  });
});

describe('replicaTimeoutMs', () => {
  it('is the option when given, else 10 minutes before any step and ten times the slowest step, at least a minute', () => {
    expect(replicaTimeoutMs(1234, 5000)).toBe(1234);
    expect(replicaTimeoutMs(undefined, 0)).toBe(600_000);
    expect(replicaTimeoutMs(undefined, 2_000)).toBe(60_000);
    expect(replicaTimeoutMs(undefined, 30_000)).toBe(300_000);
  });
});
