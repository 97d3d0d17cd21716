/**
 * `seg-deeplab submit` and `seg-deeplab worker` as users run them (the built
 * bin: run `pnpm build` first), on a real Redis started for this file: a
 * worker killed mid-run, a worker stopped with SIGTERM, Redis restarted
 * mid-run, a re-submitted run, a model the workers cannot read, and jobs
 * added to Redis by someone else that try to write outside their run. Every
 * labels PNG is compared with segment() run in this process. Skipped, with
 * one line naming the package, where Debian's redis-server is missing
 * (`SEG_TEST_REDIS=1` makes that an error).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transformer } from '@napi-rs/image';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { type Spawned, spawnNode, waitUntil } from '../../../../test-utils/child-process.js';
import { startRedis, type TestRedis } from '../../../../test-utils/redis-server.mjs';
import { describeWithRedis } from '../../../../test-utils/redis-suite.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { setModelClasses } from '../classes/model-classes.js';
import { saveModel } from '../model/model-files.js';
import { segment } from '../inference/segment.js';
import type { BatchSummary } from '../batch/summary.js';
import { SEGMENT_JOB_NAME, type SegmentJobData } from './job-data.js';

const BIN = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));
/** Short locks so that a killed worker's jobs come back within about a second. */
const TIMING = ['--lock-duration', '1000', '--stalled-interval', '500'];
const PALETTE = [
  [0, 0, 0],
  [250, 10, 10],
  [10, 250, 10],
  [10, 10, 250],
] as const;
const IMAGES = 12;

describeWithRedis('seg-deeplab submit and worker on Redis', () => {
  let redis: TestRedis;
  let dir: string;
  const reference = new Map<string, Uint8Array>();
  const spawned: Spawned[] = [];
  const monitors: Queue[] = [];
  /** The worker that finishes the SIGTERM test's run, and serves the restart test. */
  let drainWorker: Spawned;

  beforeAll(async () => {
    const entry = fileURLToPath(new URL('../../dist/batch/pool/pool-worker.js', import.meta.url));
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first (the commands run the built package)`);
    await useBackend('wasm');
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'seg-queue-'));
    const model = deeplabV3Plus({ numClasses: 4, backbone: 'resnet18', backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] }, decoderChannels: 8, lowLevelChannels: 4 });
    setModelClasses(model, PALETTE.map((color, i) => ({ name: `class${i}`, color })));
    await saveModel(model, join(dir, 'model'));
    for (let i = 0; i < IMAGES; i++) {
      const [width, height] = [40 + (i % 3), 36 + (i % 2)];
      const rgba = Uint8Array.from({ length: width * height * 4 }, (_, k) => (k % 4 === 3 ? 255 : (k * (i + 3) * 7 + i * 50) & 255));
      const rel = `${i % 2 ? 'sub/' : ''}img${i}.png`;
      mkdirSync(join(dir, 'in/sub'), { recursive: true });
      writeFileSync(join(dir, 'in', rel), await Transformer.fromRgbaPixels(rgba, width, height).png());
      const { labels } = await segment(model, { data: rgba, width, height, channels: 4 });
      reference.set(rel, labels as Uint8Array);
    }
    writeFileSync(join(dir, 'in/sub/corrupt.png'), 'not a PNG');
    model.dispose();
  });

  afterAll(async () => {
    for (const s of spawned) s.child.kill('SIGKILL');
    await Promise.all(spawned.map((s) => s.exited));
    await Promise.all(monitors.map((q) => q.close()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = (queue: string) => redis.url(queue);
  const run = (args: string[]) => {
    const s = spawnNode([BIN, ...args]);
    spawned.push(s);
    return s;
  };
  const startWorker = async (queue: string, allow = dir) => {
    const w = run(['worker', '--queue', url(queue), '--allow', allow, '--workers', '1', '--backend', 'wasm', ...TIMING]);
    const ready = await w.line(/taking jobs from queue/);
    return { ...w, name: ready.split(' ')[1].replace(/:$/, '') };
  };
  const submit = (queue: string, out: string, extra: string[] = []) =>
    run(['submit', join(dir, 'model'), join(dir, 'in'), '--out', out, '--queue', url(queue), '--attempts', '2', '--backoff', '50', ...extra]);
  const monitor = (queue: string) => {
    const connection = new Redis({ port: redis.port, maxRetriesPerRequest: null });
    // Redis is restarted on purpose; this connection waits for it like the commands do.
    connection.on('error', () => undefined);
    const q = new Queue(queue, { connection });
    monitors.push(q);
    return q;
  };
  const summaryOf = (out: string): BatchSummary => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));

  /** Every image has exactly one labels PNG, equal to segment()'s labels, and nothing else is left behind. */
  async function expectOutputs(out: string): Promise<void> {
    const files = (readdirSync(out, { recursive: true }) as string[]).filter((f) => !f.endsWith('summary.json') && f !== 'sub').sort();
    expect(files).toEqual([...reference.keys()].map((rel) => `${rel}.png`).sort());
    for (const [rel, labels] of reference) {
      const t = new Transformer(readFileSync(join(out, `${rel}.png`)));
      const raw = new Uint8Array(await t.rawPixels());
      const channels = raw.length / labels.length;
      const wrong = labels.filter((id, p) => PALETTE[id].some((v, c) => raw[p * channels + c] !== v)).length;
      expect(wrong, `${rel}: pixels whose palette colour is not that of segment()'s class`).toBe(0);
    }
  }

  function expectSummary(out: string, counts: Partial<BatchSummary['counts']>): void {
    const summary = summaryOf(out);
    expect(summary.counts).toMatchObject(counts);
    expect(summary.failures).toEqual([
      { input: join(dir, 'in/sub/corrupt.png'), error: expect.stringMatching(/^ImageReadError: .*corrupt\.png: not a decodable image/), attempts: 2 },
    ]);
  }

  it('gives a SIGKILLed worker’s jobs to the other worker: every output exactly once, the corrupt image listed', async () => {
    const [a, b] = await Promise.all([startWorker('kill'), startWorker('kill')]);
    const q = monitor('kill');
    const out = join(dir, 'out-kill');
    const submitted = submit('kill', out);
    let victim: Job | undefined;
    // A stopped worker can finish nothing: what Redis says it holds is what it dies with.
    await waitUntil(async () => {
      a.child.kill('SIGSTOP');
      victim = (await q.getActive()).find((j) => j.processedBy === a.name);
      if (!victim) a.child.kill('SIGCONT');
      return victim !== undefined;
    }, 'worker A to hold a job');
    a.child.kill('SIGKILL');
    expect(await submitted.exited).toBe(1);
    expect(submitted.stdout()).toMatch(/segmented 12, skipped 0, failed 1 of 13 images/);
    await expectOutputs(out);
    expectSummary(out, { inputs: 13, segmented: 12, skipped: 0, failed: 1, notRun: 0 });
    const redelivered = (await Job.fromId(q, victim!.id!))!;
    expect(await redelivered.getState()).toBe('completed');
    expect(redelivered.processedBy).toBe(b.name);
    expect(redelivered.stalledCounter).toBeGreaterThanOrEqual(1);
  });

  it('skips the done images when the run is submitted again', async () => {
    const out = join(dir, 'out-kill');
    const again = submit('kill', out);
    expect(await again.exited).toBe(1);
    expect(again.stdout()).toMatch(/queued 1 image\(s\) .*; 12 skipped \(labels exist\)/);
    expectSummary(out, { inputs: 13, segmented: 0, skipped: 12, failed: 1 });
  });

  it('fails the jobs of a model the workers cannot read, naming its path', async () => {
    const missing = join(dir, 'not-a-model');
    const out = join(dir, 'out-no-model');
    const s = run(['submit', missing, join(dir, 'in/img0.png'), '--out', out, '--queue', url('kill'), '--attempts', '1']);
    expect(await s.exited).toBe(1);
    expect(summaryOf(out).failures).toEqual([
      { input: join(dir, 'in/img0.png'), error: expect.stringMatching(new RegExp(`^ModelLoadError: cannot load model ${missing}: .*${join(missing, 'model.json')}`)), attempts: 1 },
    ]);
  });

  it('lets a worker stopped with SIGTERM finish the jobs it holds; another one finishes the run', async () => {
    const c = await startWorker('drain');
    const q = monitor('drain');
    const out = join(dir, 'out-drain');
    const submitted = submit('drain', out);
    let held: string[] = [];
    await waitUntil(async () => {
      held = (await q.getActive()).filter((j) => j.processedBy === c.name).map((j) => j.id!);
      return held.length > 0;
    }, 'worker C to hold a job');
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.lines.some((l) => /stopped$/.test(l))).toBe(true);
    expect(await q.getActiveCount()).toBe(0);
    for (const id of held) {
      const job = (await Job.fromId(q, id))!;
      expect([await job.getState(), job.stalledCounter]).toEqual(['completed', 0]);
    }
    drainWorker = await startWorker('drain');
    expect(await submitted.exited).toBe(1);
    await expectOutputs(out);
    expectSummary(out, { segmented: 12, failed: 1, notRun: 0 });
  });

  it('pauses on a Redis restart mid-run and goes on when it is back', async () => {
    const out = join(dir, 'out-restart');
    const submitted = submit('drain', out);
    const done = () => (existsSync(out) ? (readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.png')).length : 0);
    await waitUntil(() => done() >= 3, 'three images segmented');
    // The worker is stopped during the restart, so that the run cannot end before Redis is back.
    drainWorker.child.kill('SIGSTOP');
    await redis.restart();
    drainWorker.child.kill('SIGCONT');
    expect(await submitted.exited).toBe(1);
    await expectOutputs(out);
    expectSummary(out, { segmented: 12, failed: 1, notRun: 0 });
    expect(submitted.lines.some((l) => /is unreachable/.test(l))).toBe(true);
    expect(submitted.lines.some((l) => /is back; resuming/.test(l))).toBe(true);
  });

  it('refuses jobs added to Redis that write outside their run, naming why, at once and touching nothing', async () => {
    const allowed = join(dir, 'allowed');
    const out = join(allowed, 'run');
    const outside = join(dir, 'outside');
    mkdirSync(out, { recursive: true });
    mkdirSync(outside);
    const target = join(outside, 'model.json');
    writeFileSync(target, '{"keep": "me"}');
    // A folder of the run that is a link leading out of it.
    symlinkSync(outside, join(out, 'linked'));
    await startWorker('hostile', allowed);
    const q = monitor('hostile');
    const input = join(dir, 'in/img0.png');
    const add = (id: string, data: Partial<SegmentJobData>) => {
      const job: SegmentJobData = { runId: 'hostile', out, model: join(dir, 'model'), input, rel: 'img0.png', outputs: { labels: join(out, 'img0.png.png') }, settings: {}, ...data };
      return q.add(SEGMENT_JOB_NAME, job, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    };
    const ended = async (id: string) => {
      await waitUntil(async () => ['completed', 'failed'].includes(await q.getJobState(id)), `job ${id} to end`);
      return (await Job.fromId(q, id))!;
    };
    const cases = {
      'existing-file': { data: { outputs: { labels: target } }, reason: `outputs.labels is "${target}", not ${join(out, 'img0.png.png')} (<out>/<rel>.png)`, untouched: target },
      relative: { data: { outputs: { labels: '../../x.png' } }, reason: `outputs.labels is "../../x.png", not ${join(out, 'img0.png.png')} (<out>/<rel>.png)`, untouched: join(process.cwd(), '../../x.png') },
      'relative-out': { data: { out: 'run', outputs: { labels: 'run/img0.png.png' } }, reason: 'its output folder out="run" is not an absolute, normalised path', untouched: join(process.cwd(), 'run') },
      'out-not-allowed': {
        data: { out: join(dir, 'elsewhere'), outputs: { labels: join(dir, 'elsewhere/img0.png.png') } },
        reason: `its output folder ${join(dir, 'elsewhere')} is outside the worker's allowed roots (--allow ${allowed})`,
        untouched: join(dir, 'elsewhere'),
      },
      'linked-folder': {
        data: { rel: 'linked/img0.png', outputs: { labels: join(out, 'linked/img0.png.png') } },
        reason: `outputs.labels's folder ${join(out, 'linked')} leads to ${outside} on disk (a symbolic link), outside the output folder ${out}`,
        untouched: join(outside, 'img0.png.png'),
      },
    } satisfies Record<string, { data: Partial<SegmentJobData>; reason: string; untouched: string }>;
    for (const [id, { data }] of Object.entries(cases)) await add(id, data);
    // The same image with its run's own outputs: the worker does write where a run may.
    await add('allowed', {});
    for (const [id, { reason, untouched }] of Object.entries(cases)) {
      const job = await ended(id);
      expect([await job.getState(), job.attemptsMade, job.failedReason]).toEqual(['failed', 1, `JobRefusedError: job ${id} of run hostile: ${reason}`]);
      if (untouched === target) expect(readFileSync(target, 'utf8')).toBe('{"keep": "me"}');
      else expect(existsSync(untouched), untouched).toBe(false);
    }
    expect(await (await ended('allowed')).getState()).toBe('completed');
    expect(readdirSync(out).sort()).toEqual(['img0.png.png', 'linked']);
    expect(readdirSync(outside)).toEqual(['model.json']);
  });
});
