import { Command, Option } from 'commander';
import { enqueueSegmentation } from '../queue/enqueue.js';
import { watchQueuedRun } from '../queue/watch.js';
import { followRun } from './follow-run.js';
import { stopSignal } from './io.js';
import { type SegmentationFlags, segmentationOptions, segmentationSettings } from './options.js';
import type { CommandContext } from './segment-command.js';

/** Said in the help of `submit` and `worker`: queue workers run elsewhere and see the files through a shared volume. */
export const SHARED_PATHS_NOTE =
  '<model>, <inputs> and <out> must be paths every worker can reach under the same names (a shared volume); ' +
  'the model may also be baked into the workers\' image at that path';

/** `seg-deeplab submit <model> <inputs...> --out <dir> --queue <url>`: one BullMQ job per image, then waits for them. */
export function submitCommand(ctx: CommandContext): Command {
  const command = new Command('submit')
    .summary('queue images for workers on many machines (BullMQ on Redis) and wait for them')
    .description(
      `queue one job per image for seg-deeplab workers (BullMQ on Redis), then wait until every job has completed or failed ` +
        `and write <out>/summary.json. ${SHARED_PATHS_NOTE}.`,
    )
    .argument('<model>', 'a saved model folder or an .onnx file, as the workers see it')
    .argument('<inputs...>', 'image files, folders (searched recursively) and @list.txt files (one path per line)')
    .requiredOption('--out <dir>', 'output folder, on the shared volume')
    .requiredOption('--queue <url>', 'redis://host:port[/queue-name] (default queue name: seg-deeplab)')
    .addOption(new Option('--no-wait', 'return once the jobs are queued (no progress, no summary)'));
  for (const option of segmentationOptions()) command.addOption(option);
  return command.action(async (model: string, inputs: string[], flags: SegmentationFlags & { out: string; queue: string; wait: boolean }) => {
    const log = (line: string) => ctx.io.err(`${line}\n`);
    const queued = await enqueueSegmentation(flags.queue, model, inputs, { ...segmentationSettings(flags), out: flags.out, log });
    ctx.io.out(
      `run ${queued.runId}: queued ${queued.jobs.length} image(s) on queue ${queued.queue.name} at ${queued.queue.display}; ` +
        `${queued.skipped.length} skipped (labels exist)${queued.refused.length > 0 ? `, ${queued.refused.length} unreadable (failed)` : ''}\n`,
    );
    if (!flags.wait) return;
    const stop = stopSignal(ctx.io, 'no longer waiting (the jobs stay queued); writing the summary');
    try {
      ctx.exit(await followRun(watchQueuedRun(queued, { log, signal: stop.signal }), ctx.io));
    } finally {
      stop.dispose();
    }
  });
}
