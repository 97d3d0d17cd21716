import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, startSegmentWorker } from '../queue/worker.js';
import { stopSignal } from './io.js';
import { backendOption, milliseconds, positiveInt } from './options.js';
import type { CommandContext } from './segment-command.js';
import { SHARED_PATHS_NOTE } from './submit-command.js';

/** `seg-deeplab worker --queue <url> --allow <roots...>`: segments queued images until stopped, writing only inside the allowed roots. */
export function workerCommand(ctx: CommandContext): Command {
  return new Command('worker')
    .summary('segment queued images until stopped')
    .description(
      'take segmentation jobs from a queue until stopped; each model is loaded once per worker process and kept. ' +
        'SIGTERM (or Ctrl-C) finishes the jobs in hand, then exits; jobs of a killed worker go to other workers. ' +
        `Jobs name their files as submitted: ${SHARED_PATHS_NOTE}. ` +
        'Anyone who can write to the Redis can add jobs: a job is refused unless it writes only <out>/<path><suffix>.png ' +
        'inside its run\'s output folder, and that folder lies inside an --allow root.',
    )
    .requiredOption('--queue <url>', 'redis://host:port[/queue-name] (default queue name: seg-deeplab)')
    .requiredOption('--allow <roots...>', 'folders runs may write to (e.g. the shared volume\'s output folder); jobs whose --out lies elsewhere are refused')
    .option('--workers <n>', 'worker processes, each segmenting with its own copy of the model (default: one per core on CPU, one per GPU)', positiveInt('--workers'))
    // The name before `--workers`, which every other command uses for this knob.
    .addOption(new Option('--concurrency <n>').argParser(positiveInt('--concurrency')).hideHelp())
    .addOption(backendOption())
    .option('--lock-duration <ms>', 'how long a job stays locked without renewal before it counts as stalled', milliseconds('--lock-duration'), DEFAULT_LOCK_DURATION_MS)
    .option('--stalled-interval <ms>', 'how often stalled jobs (of dead workers) are looked for and queued again', milliseconds('--stalled-interval'), DEFAULT_STALLED_INTERVAL_MS)
    .action(async (flags: { queue: string; allow: string[]; workers?: number; concurrency?: number; backend?: never; lockDuration: number; stalledInterval: number }) => {
      const log = (line: string) => ctx.io.err(`${line}\n`);
      const worker = await startSegmentWorker(flags.queue, {
        allow: flags.allow.map((root) => resolve(root)),
        workers: flags.workers ?? flags.concurrency,
        backend: flags.backend,
        lockDurationMs: flags.lockDuration,
        stalledIntervalMs: flags.stalledInterval,
        log,
      });
      const stop = stopSignal(ctx.io, 'taking no new job, finishing those in hand');
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      await worker.close();
      stop.dispose();
      log(`worker ${worker.name}: stopped`);
    });
}
