/**
 * Entry of one segmentation worker process of a {@link SegmentPool}: selects
 * its tfjs backend, then segments the images the pool sends, two at a time
 * (the next one decodes while the model runs on the current one), with each
 * model loaded once and kept. It exits when the pool disconnects, which is
 * also what happens when the pool's process dies.
 *
 * @module
 */
import { type SegBackendName, selectBackend } from '@seg/core';
import { errorInfo } from '../errors.js';
import { exclusiveQueue, segmentImageFile } from '../image-job.js';
import { type LoadedSegmenter, loadBatchSegmenter } from '../segmenter-loader.js';
import type { FromPoolWorker, ToPoolWorker } from './protocol.js';

/** Models kept loaded; beyond this, the least recently used one not in use is freed. */
const MAX_MODELS = 2;

interface Entry {
  model: Promise<LoadedSegmenter>;
  inUse: number;
}

const models = new Map<string, Entry>();
const exclusive = exclusiveQueue();
const send = (m: FromPoolWorker) => process.send?.(m);

function acquire(source: string): Entry {
  let entry = models.get(source);
  if (entry) models.delete(source);
  else entry = { model: loadBatchSegmenter(source), inUse: 0 };
  // A failed load is not kept: the next image tries again (the volume may have been mounted meanwhile).
  entry.model.catch(() => models.get(source) === entry && models.delete(source));
  models.set(source, entry);
  entry.inUse++;
  for (const [key, old] of models) {
    if (models.size <= MAX_MODELS) break;
    if (old.inUse > 0) continue;
    models.delete(key);
    old.model.then((m) => m.segmenter.dispose(), () => undefined);
  }
  return entry;
}

async function run(m: Extract<ToPoolWorker, { type: 'task' }>): Promise<void> {
  const entry = acquire(m.model);
  try {
    const outcome = await segmentImageFile(await entry.model, m.task, m.settings, exclusive);
    send({ type: 'done', id: m.id, outcome });
  } catch (e) {
    send({ type: 'failed', id: m.id, error: errorInfo(e) });
  } finally {
    entry.inUse--;
  }
}

process.on('message', (m: ToPoolWorker) => {
  if (m.type === 'task') {
    void run(m);
  } else if (m.type === 'init') {
    selectBackend(m.backend ? [m.backend as SegBackendName] : undefined).then(
      (selection) => send({ type: 'ready', backend: selection.name }),
      (e) => send({ type: 'init-failed', error: errorInfo(e) }),
    );
  }
});
// The pool decides when this process ends: a Ctrl-C reaching the whole process group must not cut images short.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));
