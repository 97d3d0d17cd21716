/**
 * One backend tried the way `seg-doctor` tries it: selected alone, then made
 * to compute. The answer is plain data, so that it can come back from a child
 * process (see `webgpu-child.ts`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SegBackendName } from '../packages.js';
import { type SelectBackendOptions, selectBackend } from '../select.js';
import { type BackendSkip, NoUsableBackendError } from '../skip.js';

/** How a backend fared: it works (on `device`), `selectBackend` passed it over (`skip`), or it initialised but computed wrong (`problem`). */
export type BackendTrial = { works: true; device?: string } | { works: false; skip: BackendSkip } | { works: false; problem: string };

/** Runs one op on the active backend, so "works" means it computed, not just registered. */
async function computes(): Promise<void> {
  const t = tf.tidy(() => tf.sum(tf.mul(tf.range(0, 4), 2)));
  const [v] = await t.data();
  t.dispose();
  if (v !== 12) throw new Error(`computed ${v} for sum([0,2,4,6]); expected 12`);
}

/** Selects `name` alone with `options` and makes it compute. */
export async function tryBackend(name: SegBackendName, options: SelectBackendOptions): Promise<BackendTrial> {
  let device: string | undefined;
  try {
    device = (await selectBackend([name], options)).device;
  } catch (e) {
    if (e instanceof NoUsableBackendError) return { works: false, skip: e.skipped[0] };
    throw e;
  }
  try {
    await computes();
  } catch (e) {
    return { works: false, problem: `initialised but does not compute: ${(e as Error).message.split('\n')[0]}` };
  }
  return { works: true, ...(device ? { device } : {}) };
}
