import type { SegmentSettings } from '../batch/image-job.js';
import type { NodeModules } from '../batch/node.js';
import type { OutputPaths } from '../batch/outputs.js';

/** Name of the BullMQ jobs `seg-deeplab submit` adds and `seg-deeplab worker` takes. */
export const SEGMENT_JOB_NAME = 'segment';

/** A queued image: everything a worker needs, as paths every worker can reach. */
export interface SegmentJobData {
  /** The submission the job belongs to. */
  runId: string;
  /** Absolute model path. */
  model: string;
  /** Absolute image path. */
  input: string;
  /** The image's path relative to the folder it was found in. */
  rel: string;
  /** Absolute output paths. */
  outputs: OutputPaths;
  /** Test-time augmentation. */
  settings: SegmentSettings;
}

/**
 * The BullMQ id of the job that writes `labelsPath`: the same for every
 * submission, so an image queued twice (a second `submit` while the first
 * one's jobs wait) is one job. Hex, as custom ids may not contain ":".
 */
export function segmentJobId(crypto: NodeModules['crypto'], labelsPath: string): string {
  return `img-${crypto.createHash('sha256').update(labelsPath).digest('hex').slice(0, 32)}`;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Checks a job's data: a queue may hold jobs from elsewhere or from another version.
 *
 * @throws Naming the job and the first bad field.
 */
export function checkJobData(data: unknown, jobId: string | undefined): SegmentJobData {
  const d = (data ?? {}) as Partial<SegmentJobData>;
  const where = `job ${jobId}`;
  for (const key of ['runId', 'model', 'input', 'rel'] as const) {
    if (!isString(d[key])) throw new Error(`${where}: data.${key} must be a non-empty string, got ${JSON.stringify(d[key])}; is it a seg-deeplab job?`);
  }
  if (!d.outputs || !isString(d.outputs.labels) || Object.values(d.outputs).some((p) => !isString(p))) {
    throw new Error(`${where}: data.outputs must map output kinds to paths, with labels; got ${JSON.stringify(d.outputs)}`);
  }
  const s = d.settings;
  if (!s || (s.flip !== undefined && typeof s.flip !== 'boolean') || (s.scales !== undefined && !(Array.isArray(s.scales) && s.scales.every((x) => x > 0)))) {
    throw new Error(`${where}: data.settings must be { flip?: boolean, scales?: positive numbers }, got ${JSON.stringify(s)}`);
  }
  return d as SegmentJobData;
}
