/**
 * Where a queued job may write. A job's data comes from Redis, and anyone
 * who can write to that Redis can add jobs, so a worker writes only files
 * that a run of `seg-deeplab submit` would write: `<out>/<rel><suffix>.png`
 * inside the job's own output folder `out`, which lies inside one of the
 * roots the worker was started with (`--allow`).
 *
 * Checked on the paths as written (absolute, normalised, no `..`) and on
 * the folders as they are on disk: the deepest existing folder of each
 * output must really lie inside `out` and `out` inside an allowed root, so a
 * symbolic link in the output tree cannot lead a write elsewhere. An output
 * that is itself a link is harmless: the atomic write renames a new file
 * over the link, and never writes through it. Links created between the
 * check and the write are not caught; whoever can create them can write
 * into the output tree anyway.
 *
 * @module
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { OUTPUT_SUFFIXES, type SaveKind } from '../batch/outputs.js';
import { relativeWithin } from '../batch/relative-within.js';
import { JobRefusedError, type SegmentJobData } from './job-data.js';

/** Whether `inner` is `outer` or lies below it (both absolute and normalised). */
function isWithin(outer: string, inner: string): boolean {
  return relativeWithin(outer, inner) !== undefined;
}

/**
 * The real location of `p` (an absolute path that may not exist yet): the
 * real path of its deepest existing ancestor, with the rest appended.
 */
export async function realLocation(p: string): Promise<string> {
  const rest: string[] = [];
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return path.join(await fs.realpath(at), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT: not created yet, look higher; anything else (a dangling or looping link, no access) refuses.
      if (code !== 'ENOENT' || path.dirname(at) === at) throw e;
      rest.push(path.basename(at));
    }
  }
}

/**
 * Checks the worker's allowed roots: absolute paths, normalised.
 *
 * @throws Naming a relative root.
 */
export function checkAllowedRoots(where: string, allow: readonly string[] | undefined): string[] {
  if (!allow || allow.length === 0) {
    throw new Error(
      `${where}: no folder is allowed for outputs; name the folders runs may write to (--allow <root>, options.allow), ` +
        'e.g. the shared volume\'s output folder: jobs whose output folder lies elsewhere are refused',
    );
  }
  return allow.map((root, i) => {
    if (typeof root !== 'string' || !path.isAbsolute(root)) throw new Error(`${where}: allowed root ${i} is ${JSON.stringify(root)}; expected an absolute folder path`);
    return path.resolve(root);
  });
}

/**
 * Refuses a job whose outputs are not `<out>/<rel><suffix>` of known kinds,
 * whose `out` is not an absolute path inside one of `allow`, or whose
 * folders lead elsewhere on disk through links.
 *
 * @param allow Absolute, normalised roots (see {@link checkAllowedRoots}).
 * @throws {JobRefusedError} Naming the job, the path and why.
 */
export async function confineJobOutputs(data: SegmentJobData, allow: readonly string[], jobId: string | undefined): Promise<void> {
  const refuse = (why: string): never => {
    throw new JobRefusedError(`job ${jobId} of run ${data.runId}: ${why}`);
  };
  const { out, rel } = data;
  if (!path.isAbsolute(out) || path.resolve(out) !== out) refuse(`its output folder out=${JSON.stringify(out)} is not an absolute, normalised path`);
  if (!allow.some((root) => isWithin(root, out))) refuse(`its output folder ${out} is outside the worker's allowed roots (--allow ${allow.join(' ')})`);
  if (path.isAbsolute(rel) || path.normalize(rel) !== rel || rel.split(path.sep).some((part) => part === '..' || part === '.' || part === '')) {
    refuse(`its image path rel=${JSON.stringify(rel)} is not a relative path below the output folder`);
  }
  for (const [kind, file] of Object.entries(data.outputs)) {
    if (!Object.hasOwn(OUTPUT_SUFFIXES, kind)) refuse(`outputs.${kind} is not an output kind; expected ${Object.keys(OUTPUT_SUFFIXES).join(', ')}`);
    const expected = path.join(out, `${rel}${OUTPUT_SUFFIXES[kind as SaveKind]}`);
    if (file !== expected || !isWithin(out, file)) refuse(`outputs.${kind} is ${JSON.stringify(file)}, not ${expected} (<out>/<rel>${OUTPUT_SUFFIXES[kind as SaveKind]})`);
  }
  const onDisk = async (p: string) => realLocation(p).catch((e: Error) => refuse(`cannot resolve ${p}: ${e.message}`));
  const realOut = await onDisk(out);
  const realRoots = await Promise.all(allow.map(onDisk));
  if (!realRoots.some((root) => isWithin(root, realOut))) refuse(`its output folder ${out} leads to ${realOut} on disk (a symbolic link), outside the allowed roots`);
  for (const [kind, file] of Object.entries(data.outputs)) {
    const folder = await onDisk(path.dirname(file));
    if (!isWithin(realOut, folder)) refuse(`outputs.${kind}'s folder ${path.dirname(file)} leads to ${folder} on disk (a symbolic link), outside the output folder ${out}`);
  }
}
