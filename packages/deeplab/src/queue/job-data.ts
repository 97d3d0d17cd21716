import { createHash } from 'node:crypto';
import type { SegmentSettings } from '../batch/image-job.js';
import type { OutputPaths } from '../batch/outputs.js';

/** Name of the BullMQ jobs `seg-deeplab submit` adds and `seg-deeplab worker` takes. */
export const SEGMENT_JOB_NAME = 'segment';

/** A queued image: everything a worker needs, as paths every worker can reach. */
export interface SegmentJobData {
  /** The submission the job belongs to. */
  runId: string;
  /** The run's absolute output folder: a worker writes only `<out>/<rel><suffix>` inside it (see `confineJobOutputs`). */
  out: string;
  /** Absolute model path. */
  model: string;
  /** Absolute image path. */
  input: string;
  /** The image's path relative to the folder it was found in. */
  rel: string;
  /** Absolute output paths, each `<out>/<rel><suffix>` with the suffix of its kind. */
  outputs: OutputPaths;
  /** Test-time augmentation. */
  settings: SegmentSettings;
}

/**
 * The BullMQ id of the job that writes `labelsPath`: the same for every
 * submission, so an image queued twice (a second `submit` while the first
 * one's jobs wait) is one job. Hex, as custom ids may not contain ":".
 */
export function segmentJobId(labelsPath: string): string {
  return `img-${createHash('sha256').update(labelsPath).digest('hex').slice(0, 32)}`;
}

/**
 * A job a worker refuses before reading or writing anything: malformed data,
 * or outputs outside its run's folder or the worker's allowed roots. Anyone
 * who can write to the Redis can add jobs, so a job's data is never trusted.
 */
export class JobRefusedError extends Error {
  override name = 'JobRefusedError';
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Checks the shape of a job's data: a queue may hold jobs from elsewhere or
 * from another version. Where it may write is checked by `confineJobOutputs`.
 *
 * @throws {JobRefusedError} Naming the job and the first bad field.
 */
export function checkJobData(data: unknown, jobId: string | undefined): SegmentJobData {
  const d = (data ?? {}) as Partial<SegmentJobData>;
  const where = `job ${jobId}`;
  for (const key of ['runId', 'out', 'model', 'input', 'rel'] as const) {
    if (!isString(d[key])) throw new JobRefusedError(`${where}: data.${key} must be a non-empty string, got ${JSON.stringify(d[key])}; is it a seg-deeplab job of this version?`);
  }
  if (!d.outputs || typeof d.outputs !== 'object' || !isString(d.outputs.labels) || Object.values(d.outputs).some((p) => !isString(p))) {
    throw new JobRefusedError(`${where}: data.outputs must map output kinds to paths, with labels; got ${JSON.stringify(d.outputs)}`);
  }
  const s = d.settings;
  if (!s || (s.flip !== undefined && typeof s.flip !== 'boolean') || (s.scales !== undefined && !(Array.isArray(s.scales) && s.scales.every((x) => x > 0)))) {
    throw new JobRefusedError(`${where}: data.settings must be { flip?: boolean, scales?: positive numbers }, got ${JSON.stringify(s)}`);
  }
  return d as SegmentJobData;
}
