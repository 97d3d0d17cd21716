import { NODE_BACKEND_ORDER, type SegBackendName } from '@seg/core';
import { InvalidArgumentError, Option } from 'commander';
import { checkSaveKinds, SAVE_KINDS, type SaveKind } from '../batch/outputs.js';
import { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS } from '../batch/run-tasks.js';

/** A parser of positive integers for `flag`. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** A parser of non-negative milliseconds for `flag`. */
export function milliseconds(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n >= 0)) throw new InvalidArgumentError(`${flag} must be a non-negative number of milliseconds, got "${value}"`);
    return n;
  };
}

/** `0.75,1,1.25` → `[0.75, 1, 1.25]`. */
export function scaleList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((s) => !(s > 0))) throw new InvalidArgumentError(`--scales must be comma-separated positive numbers, got "${value}"`);
  return list;
}

/** `labels,color` → the output kinds. */
export function saveList(value: string): SaveKind[] {
  try {
    return checkSaveKinds(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** `--backend <name>`, one of the Node backends. */
export function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend of the worker processes (default: the best that works here)').choices(NODE_BACKEND_ORDER as SegBackendName[]);
}

/** The options every command that segments shares: test-time augmentation, outputs and retries. */
export function segmentationOptions(): Option[] {
  return [
    new Option('--flip', 'horizontal-flip test-time augmentation'),
    new Option('--scales <list>', 'multi-scale inference, e.g. 0.75,1,1.25 (default: 1)').argParser(scaleList),
    new Option('--save <list>', `outputs per image from ${SAVE_KINDS.join(',')}; labels (<out>/<rel>.png) is always written`).argParser(saveList).default(['labels'], 'labels'),
    new Option('--redo', 'segment images whose labels PNG exists too (default: skip them)'),
    new Option('--attempts <n>', 'attempts per image before it is reported failed').argParser(positiveInt('--attempts')).default(DEFAULT_ATTEMPTS),
    new Option('--backoff <ms>', 'wait before the first retry; it doubles for each next one').argParser(milliseconds('--backoff')).default(DEFAULT_BACKOFF_MS),
  ];
}

/** Parsed values of {@link segmentationOptions}. */
export interface SegmentationFlags {
  flip?: boolean;
  scales?: number[];
  save: SaveKind[];
  redo?: boolean;
  attempts: number;
  backoff: number;
}

/** The options of `segmentMany` / `enqueueSegmentation` from the parsed flags. */
export function segmentationSettings(flags: SegmentationFlags) {
  return { flip: flags.flip, scales: flags.scales, save: flags.save, redo: flags.redo, attempts: flags.attempts, backoffMs: flags.backoff };
}
