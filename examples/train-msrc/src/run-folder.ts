/**
 * The run folder (`--out`) of train-msrc: locked while a run uses it, never
 * silently overwritten, and what of the options must match on resume.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findAtomicDirectory,
  findCheckpoint,
  type JsonObject,
  lockRunFolder,
  REPLACED_DIRECTORY_INFIX,
  type RunLock,
  TEMPORARY_DIRECTORY_INFIX,
} from '@seg/core';
import type { MsrcDataset } from '@seg/msrc';
import type { TrainMsrcOptions } from './options.js';
import { REPORT_ASSETS } from './report/run-report.js';

/** What a run writes into its folder; `--overwrite` removes these (and their crash leftovers) and nothing else. */
export const RUN_OUTPUTS = [
  'checkpoint',
  'best-model',
  'model',
  'images',
  'metrics.json',
  'config.json',
  'log.jsonl',
  'report.html',
  REPORT_ASSETS,
] as const;

/**
 * Options that say how to run, not what is trained: they may differ on
 * resume. Every other option is part of the configuration a checkpoint is
 * checked against.
 */
const RUN_CONTROL_KEYS = new Set(['loadCheckpoint', 'overwrite', 'allowConfigChange', 'backend', 'out', 'multiGPU', 'workers', 'printConfig']);

/** The options a checkpoint stores and a resume must match (see {@link RUN_CONTROL_KEYS}). */
export function runConfig(options: TrainMsrcOptions): JsonObject {
  const entries = Object.entries(options).filter(([k, v]) => !RUN_CONTROL_KEYS.has(k) && v !== undefined);
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as JsonObject;
}

async function checkpointStep(dir: string): Promise<string> {
  try {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    return `iteration ${state.sections.trainer.step}`;
  } catch {
    return 'unreadable state';
  }
}

/**
 * Locks `out` for this run and checks that starting here loses nothing: a
 * folder holding a checkpoint needs `--loadCheckpoint` (continue it) or
 * `--overwrite` (remove the previous run's outputs first).
 *
 * @returns The lock; release it when the run ends.
 */
export async function openRunFolder(options: TrainMsrcOptions, log: (line: string) => void): Promise<RunLock> {
  const { out, loadCheckpoint, overwrite } = options;
  if (loadCheckpoint && overwrite) {
    throw new Error('--loadCheckpoint continues the run in --out and --overwrite discards it; pass one of them');
  }
  const lock = await lockRunFolder(out, (h) =>
    log(`took over the lock of process ${h.pid} (started ${h.started}), which is no longer running`),
  );
  try {
    const checkpointDir = join(out, 'checkpoint');
    if (overwrite) {
      // Crash leftovers of the atomic writes (<name>.tmp-…, <name>.old-…) are the previous run's too.
      const leftovers = (await readdir(out)).filter((f) =>
        RUN_OUTPUTS.some((name) => f.startsWith(`${name}${TEMPORARY_DIRECTORY_INFIX}`) || f.startsWith(`${name}${REPLACED_DIRECTORY_INFIX}`)),
      );
      for (const name of [...RUN_OUTPUTS, ...leftovers]) await rm(join(out, name), { recursive: true, force: true });
      log(`--overwrite: removed the previous run's ${RUN_OUTPUTS.join(', ')} from ${out}`);
      return lock;
    }
    const anyCopy = await findAtomicDirectory(checkpointDir);
    const complete = await findCheckpoint(checkpointDir);
    if (!loadCheckpoint && anyCopy !== null) {
      throw new Error(
        `${out} holds the checkpoint of an earlier run (${await checkpointStep(anyCopy)}, in ${anyCopy}); ` +
          'pass --loadCheckpoint to continue it, or --overwrite to discard it and start again',
      );
    }
    if (loadCheckpoint && complete === null) {
      throw new Error(
        anyCopy !== null
          ? `--loadCheckpoint: ${anyCopy} holds no complete checkpoint (state.json is missing), so there is nothing to resume; ` +
              'pass --overwrite instead to discard it and start a new run'
          : `--loadCheckpoint: no checkpoint in ${checkpointDir}; leave out --loadCheckpoint to start a new run there`,
      );
    }
    return lock;
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** Throws, naming the split file, if a split the run needs lists no images: better now than after the first iterations. */
export function checkSplits(data: MsrcDataset): void {
  for (const name of ['train', 'validation', 'test'] as const) {
    // split() throws naming the file when it is missing.
    if (data.split(name).size === 0) {
      throw new Error(
        `${data.layout.splitFiles[name]}: the ${name} split lists no images; training needs all three splits (run seg-msrc check ${data.root} for a full report)`,
      );
    }
  }
}
