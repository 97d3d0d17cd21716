import type { DatasetOptions, DatasetProblemKind } from '../dataset.js';
import type { ListedSample } from '../formats/format-layout.js';

/** What the main thread asks a decode worker: one listed sample of the dataset at `root`. */
export interface DecodeRequest {
  job: number;
  root: string;
  options: DatasetOptions;
  sample: ListedSample;
}

/** A decoded sample, or the error it failed with (its class told by `kind` or `path`). */
export type DecodeReply =
  | { job: number; id: string; data: Uint8Array; width: number; height: number; labels: Uint8Array }
  | { job: number; error: { message: string; kind?: DatasetProblemKind; file?: string; path?: string; reason?: string } };
