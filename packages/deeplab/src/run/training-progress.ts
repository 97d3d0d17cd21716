import cliProgress from 'cli-progress';
import { formatDuration } from '../cli/format-duration.js';
import type { ProgressSink } from '../cli/progress.js';

/** Options of {@link createProgress}. */
export interface TrainingProgressOptions {
  /** Step the run ends at. */
  total: number;
  /** Step the run starts from (non-zero when resumed). */
  start: number;
  /** Where the bar or the plain lines go. Default: stderr. */
  sink?: ProgressSink;
  /** Without a TTY: at most one plain line per this many milliseconds. Default 30 s. */
  plainEveryMs?: number;
  /** Without a TTY, where log lines go (they stay on stdout, apart from the progress lines). Default `console.log`. */
  log?: (line: string) => void;
  /** Clock in milliseconds (tests set it). Default `Date.now`. */
  now?: () => number;
}

/** Feeds a progress display. */
export interface Progress {
  /** After each step: its number and loss. */
  tick(step: number, loss: number): void;
  /** Prints a log line without tearing the bar. */
  log(line: string): void;
  stop(): void;
}

/** Smoothing of the displayed loss: an exponential moving average over about the last 20 steps. */
const LOSS_SMOOTHING = 0.05;

/**
 * Iteration, rate (it/s since this process started training), smoothed loss
 * and ETA: a `cli-progress` bar on a terminal, a plain line at most every
 * `plainEveryMs` otherwise (logs and CI keep readable text, no control codes).
 */
export function createProgress(args: TrainingProgressOptions): Progress {
  const sink = args.sink ?? { isTTY: Boolean(process.stderr.isTTY), write: (t: string) => process.stderr.write(t) };
  const now = args.now ?? Date.now;
  const plainEveryMs = args.plainEveryMs ?? 30_000;
  const started = now();
  let lastPlain = started;
  let smoothed: number | null = null;
  const stats = (step: number) => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? (step - args.start) / elapsed : 0;
    const eta = rate > 0 ? (args.total - step) / rate : Number.NaN;
    return { rate, eta };
  };

  if (!sink.isTTY) {
    return {
      tick(step, loss) {
        smoothed = smoothed === null ? loss : smoothed + LOSS_SMOOTHING * (loss - smoothed);
        if (now() - lastPlain < plainEveryMs && step < args.total) return;
        lastPlain = now();
        const { rate, eta } = stats(step);
        sink.write(`progress: iteration ${step}/${args.total}, ${rate.toFixed(2)} it/s, loss ${smoothed.toFixed(4)} (smoothed), ETA ${formatDuration(eta)}\n`);
      },
      log: args.log ?? console.log,
      stop() {},
    };
  }

  // A bar needs a real terminal (cursor movement): it draws on stderr, leaving stdout to the log lines.
  const multi = new cliProgress.MultiBar(
    {
      format: 'iteration {value}/{total} |{bar}| {rate} it/s | loss {loss} | ETA {etaText}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(args.total, args.start, { rate: '0.00', loss: '-', etaText: '?' });
  return {
    tick(step, loss) {
      smoothed = smoothed === null ? loss : smoothed + LOSS_SMOOTHING * (loss - smoothed);
      const { rate, eta } = stats(step);
      bar.update(step, { rate: rate.toFixed(2), loss: smoothed.toFixed(4), etaText: formatDuration(eta) });
    },
    log: (line) => multi.log(`${line}\n`),
    stop() {
      // Lines logged since the last redraw are only written by a redraw; stop() alone would drop them.
      multi.update();
      multi.stop();
    },
  };
}
