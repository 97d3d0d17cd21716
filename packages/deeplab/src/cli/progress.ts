import cliProgress from 'cli-progress';
import type { BatchProgress } from '../batch/batch-run.js';
import { formatDuration } from './format-duration.js';

/** Where progress goes: a terminal gets a live bar, anything else plain lines. */
export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

/** Options of {@link createBatchProgress}. */
export interface BatchProgressOptions {
  /** Where the bar or the plain lines go. Default: stderr. */
  sink?: ProgressSink;
  /** Without a terminal: at most one plain line per this many milliseconds (and one at the end). Default 30 s. */
  plainEveryMs?: number;
  /** Clock in milliseconds (tests set it). Default `Date.now`. */
  now?: () => number;
}

/** Feeds a progress display. */
export interface BatchProgressDisplay {
  /** After each image that ends. */
  update(progress: BatchProgress): void;
  /** Prints a line without tearing the bar. */
  log(line: string): void;
  stop(): void;
}

/** The plain-text form of a progress update. */
export function formatProgress(p: BatchProgress): string {
  const skipped = p.skipped > 0 ? `, ${p.skipped} skipped` : '';
  return `images ${p.done}/${p.total}, ${p.imagesPerSecond.toFixed(2)} img/s, ${p.failed} failed${skipped}, ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * Images done, images per second, failures and ETA: a `cli-progress` bar on a
 * terminal, a plain line at most every `plainEveryMs` otherwise (logs and CI
 * get readable text, no control codes).
 */
export function createBatchProgress(args: BatchProgressOptions = {}): BatchProgressDisplay {
  const sink = args.sink ?? { isTTY: Boolean(process.stderr.isTTY), write: (t: string) => process.stderr.write(t) };
  const now = args.now ?? Date.now;
  const plainEveryMs = args.plainEveryMs ?? 30_000;
  if (!sink.isTTY) {
    let lastPlain = now();
    return {
      update(p) {
        if (now() - lastPlain < plainEveryMs && p.done < p.total) return;
        lastPlain = now();
        sink.write(`progress: ${formatProgress(p)}\n`);
      },
      log: (line) => sink.write(`${line}\n`),
      stop() {},
    };
  }
  // The bar needs a real terminal (cursor movement); it draws on stderr, leaving stdout to results.
  const multi = new cliProgress.MultiBar(
    {
      format: 'images {value}/{total} |{bar}| {rate} img/s | {failed} failed | ETA {etaText}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(p) {
      bar ??= multi.create(p.total, 0, { rate: '0.00', failed: 0, etaText: '?' });
      bar.setTotal(p.total);
      bar.update(p.done, { rate: p.imagesPerSecond.toFixed(2), failed: p.failed, etaText: formatDuration(p.etaSeconds) });
    },
    log: (line) => multi.log(`${line}\n`),
    stop() {
      // Lines logged since the last redraw are only written by a redraw; stop() alone would drop them.
      multi.update();
      multi.stop();
    },
  };
}
