/**
 * The run folder (`--out`) of a training run: locked while a run uses it,
 * never silently overwritten, and what of the options must match on resume.
 */
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type JsonObject, lockRunFolder, type RunLock } from '@seg/core';
import { findAtomicDirectory, REPLACED_DIRECTORY_INFIX, TEMPORARY_DIRECTORY_INFIX } from '@seg/core/internals';
import { exists, isRunOutput, RUN_FILES, RUN_FOLDERS, RUN_SINGLE_FILES, RunOutputs } from './run-files.js';

/**
 * Options that say how to run, not what is trained: they may differ on
 * resume. The step budget is among them: training longer with a raised
 * `--iterations` (or `--epochs`) continues the same run. Every other option
 * is part of the configuration a checkpoint is checked against.
 */
export const RUN_CONTROL_KEYS: ReadonlySet<string> = new Set([
  'resume',
  'loadCheckpoint',
  'overwrite',
  'allowConfigChange',
  'backend',
  'out',
  'multiGPU',
  'workers',
  'printConfig',
  'iterations',
  'epochs',
  'export',
  'fp16',
]);

/** The options a checkpoint stores and a resume must match (see {@link RUN_CONTROL_KEYS}). */
export function runConfig(options: object): JsonObject {
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

/** Paths in `out` a run would write that exist now, `/`-separated, folders with a trailing `/`. */
async function runPathsPresent(out: string): Promise<string[]> {
  const present: string[] = [];
  for (const f of RUN_FOLDERS) if (await exists(join(out, f))) present.push(`${f}/`);
  for (const f of RUN_SINGLE_FILES) if (await exists(join(out, f))) present.push(f);
  for (const dir of [RUN_FILES.images, RUN_FILES.reportAssets]) {
    const names = await readdir(join(out, dir)).catch(() => [] as string[]);
    present.push(...names.map((n) => `${dir}/${n}`).filter(isRunOutput));
  }
  return present;
}

/** Removes what runs recorded in `out`, with the crash leftovers of their atomic writes; nothing else. */
async function removeRunOutputs(out: string, outputs: RunOutputs): Promise<string[]> {
  const removed = outputs.list();
  for (const path of removed) {
    const target = join(out, path);
    const parent = join(target, '..');
    const base = target.replace(/\/$/, '').split('/').at(-1)!;
    // <name>.tmp-…, <name>.old-…: a write of this output cut short.
    const leftovers = (await readdir(parent).catch(() => [] as string[])).filter(
      (n) => n.startsWith(`${base}${TEMPORARY_DIRECTORY_INFIX}`) || n.startsWith(`${base}${REPLACED_DIRECTORY_INFIX}`),
    );
    for (const p of [target, ...leftovers.map((n) => join(parent, n))]) await rm(p, { recursive: true, force: true });
  }
  // The folders of snapshots and plots go only if nothing of the user's is left in them.
  for (const dir of [RUN_FILES.images, RUN_FILES.reportAssets]) await rmdir(join(out, dir)).catch(() => undefined);
  await outputs.clear();
  return removed;
}

/** A run folder, locked, with the record of what runs wrote there. */
export interface RunFolder {
  lock: RunLock;
  outputs: RunOutputs;
}

/** Options of {@link openRunFolder}. */
export interface RunFolderOptions {
  /** The run folder. Required. */
  out: string;
  /** Continue the run whose checkpoint `out` holds. Default false. */
  resume?: boolean;
  /** Start afresh, first removing what earlier runs wrote in `out` (and only that). Default false. */
  overwrite?: boolean;
  /** The flag that asks for `resume`, as messages name it. Default `'--resume'`. */
  resumeFlag?: string;
  /** The program whose runs wrote the folder, as messages name it. Default `'training'`. */
  program?: string;
}

/**
 * Locks `out` for this run and checks, before anything is trained, that
 * starting here loses nothing: a folder holding a checkpoint needs
 * `resume` (continue it) or `overwrite` (remove what earlier runs wrote
 * first, and only that); a file the run would write over that no run wrote
 * (a user's `config.json`, `model/`) is refused either way.
 *
 * @returns The lock and the record; release the lock when the run ends.
 */
export async function openRunFolder(options: RunFolderOptions, log: (line: string) => void): Promise<RunFolder> {
  const { out, resume = false, overwrite = false, resumeFlag = '--resume', program = 'training' } = options;
  if (resume && overwrite) {
    throw new Error(`${resumeFlag} continues the run in --out and --overwrite discards it; pass one of them`);
  }
  const lock = await lockRunFolder(out, (h) => log(`took over the lock of process ${h.pid} (started ${h.started}), which is no longer running`));
  try {
    const outputs = await RunOutputs.read(out);
    if (overwrite) {
      const removed = await removeRunOutputs(out, outputs);
      log(`--overwrite: removed what earlier runs wrote in ${out}${removed.length ? ` (${removed.length} outputs: ${removed.slice(0, 6).join(', ')}${removed.length > 6 ? ', …' : ''})` : ': nothing'}`);
    }
    const foreign = (await runPathsPresent(out)).filter((p) => !outputs.has(p));
    if (foreign.length > 0) {
      throw new Error(
        `${out} holds ${foreign.slice(0, 6).join(', ')}${foreign.length > 6 ? `, … (${foreign.length} in all)` : ''}, which no ${program} run wrote ` +
          `(${RUN_FILES.outputs} does not list ${foreign.length > 1 ? 'them' : 'it'}), and this run would write over ${foreign.length > 1 ? 'them' : 'it'}; ` +
          'move them elsewhere or choose another --out (--overwrite removes only what runs wrote)',
      );
    }
    const checkpointDir = join(out, RUN_FILES.checkpoint);
    const anyCopy = await findAtomicDirectory(checkpointDir);
    if (!resume && anyCopy !== null) {
      throw new Error(
        `${out} holds the checkpoint of an earlier run (${await checkpointStep(anyCopy)}, in ${anyCopy}); ` +
          `pass ${resumeFlag} to continue it, or --overwrite to discard it and start again`,
      );
    }
    if (resume && anyCopy === null) {
      throw new Error(`${resumeFlag}: no checkpoint in ${checkpointDir}; leave out ${resumeFlag} to start a new run there`);
    }
    return { lock, outputs };
  } catch (e) {
    await lock.release();
    throw e;
  }
}
