import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One line of `log.jsonl`. */
export type RunLogRecord =
  | { type: 'start'; time: string; step: number; backend: string }
  | { type: 'step'; step: number; loss: number; pixelAccuracy: number; seconds: number }
  | { type: 'validation'; step: number; loss: number; pixelAccuracy: number; meanIoU: number; trainLoss: number; trainPixelAccuracy: number }
  | { type: 'test'; step: number; pixelAccuracy: number; meanAccuracy: number; meanIoU: number; voidExcluded: { pixelAccuracy: number; meanAccuracy: number; meanIoU: number } }
  | { type: 'end'; time: string; step: number; reason: 'finished' | 'stopped early' | 'interrupted' | 'failed'; error?: string };

/**
 * `<out>/log.jsonl`: one JSON object per line, appended as the run goes, so a
 * crashed or interrupted run keeps every line written before. Appends are
 * chained, so lines land in call order even when nobody awaits them.
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

  /** Waits for every queued record. */
  flush(): Promise<void> {
    return this.pending;
  }
}
