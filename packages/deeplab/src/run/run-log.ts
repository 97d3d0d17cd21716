import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@seg/core';

/** One line of `log.jsonl`. */
export type RunLogRecord =
  | { type: 'start'; time: string; step: number; backend: string }
  | { type: 'step'; step: number; loss: number; pixelAccuracy: number; seconds: number }
  | { type: 'validation'; step: number; loss: number; pixelAccuracy: number; meanIoU: number; trainLoss: number; trainPixelAccuracy: number }
  | {
      type: 'test';
      step: number;
      /** The split evaluated at the end, when it is not MSRC's test split. */
      split?: string;
      pixelAccuracy: number;
      meanAccuracy: number;
      meanIoU: number;
      voidExcluded?: { pixelAccuracy: number; meanAccuracy: number; meanIoU: number };
    }
  | { type: 'end'; time: string; step: number; reason: 'finished' | 'stopped early' | 'interrupted' | 'failed'; error?: string };

/** Records that say where an attempt of the run started and how it ended: kept whatever their step. */
const ATTEMPT_RECORDS: ReadonlySet<RunLogRecord['type']> = new Set(['start', 'end']);

/**
 * `<out>/log.jsonl`: one JSON object per line, appended as the run goes, so a
 * crashed or interrupted run keeps every line written before. Appends are
 * chained, so lines land in call order even when nobody awaits them.
 *
 * A resumed run first drops what the stopped attempt logged after its last
 * checkpoint ({@link RunLog.dropAfter}): it trains those steps again, and
 * the log holds each step once.
 */
export class RunLog {
  readonly path: string;
  private pending: Promise<void>;

  constructor(path: string) {
    this.path = path;
    this.pending = mkdir(dirname(path), { recursive: true }).then(() => undefined);
  }

  /** Queues one record; returns when it (and every earlier one) is on disk. */
  write(record: RunLogRecord): Promise<void> {
    this.pending = this.pending.then(() => appendFile(this.path, `${JSON.stringify(record)}\n`));
    return this.pending;
  }

  /**
   * Removes the records of steps after `step` (the checkpoint a resumed run
   * continues from), which the attempt that was stopped logged before it was
   * killed or interrupted; its `start` and `end` records stay, so the log
   * still shows where each attempt began and ended. A last line cut short
   * by a kill is dropped too. The file is rewritten atomically.
   *
   * @throws Naming the file and line, if another line is not a JSON record.
   */
  dropAfter(step: number): Promise<void> {
    this.pending = this.pending.then(async () => {
      const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
      if (text === null) return;
      const lines = text.split('\n').filter((l) => l !== '');
      const kept = lines.filter((line, i) => {
        let record: RunLogRecord;
        try {
          record = JSON.parse(line);
        } catch {
          if (i === lines.length - 1) return false;
          throw new Error(`${this.path}: line ${i + 1} is not a JSON record (${line.slice(0, 40)}…); fix or delete it, the resumed run appends to this log`);
        }
        return ATTEMPT_RECORDS.has(record.type) || record.step <= step;
      });
      if (kept.length < lines.length) await writeFileAtomic(this.path, kept.map((l) => `${l}\n`).join(''));
    });
    return this.pending;
  }

  /** Waits for every queued record. */
  flush(): Promise<void> {
    return this.pending;
  }
}
