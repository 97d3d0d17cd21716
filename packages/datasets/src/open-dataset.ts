import type { Dataset, DatasetOptions, DatasetSplit } from './dataset.js';
import { DecodePool, DEFAULT_DECODE_WORKERS } from './decode-pool/decode-pool.js';
import { existingFiles } from './formats/files.js';
import type { FormatLayout, ListedSplit } from './formats/format-layout.js';
import { openMsrcDataset } from './formats/msrc/msrc.js';
import { formatModule } from './formats/registry.js';
import { readSample } from './read-sample.js';

function makeSplit(layout: FormatLayout, listed: ListedSplit, pool: DecodePool | null): DatasetSplit {
  const ids = Object.freeze(listed.samples.map((s) => s.id));
  return {
    name: listed.name,
    source: listed.source,
    ids,
    size: ids.length,
    get(index) {
      if (!Number.isInteger(index) || index < 0 || index >= ids.length) {
        return Promise.reject(new RangeError(`split '${listed.name}': index ${index} is outside 0..${ids.length - 1}`));
      }
      return pool ? pool.read(listed.samples[index]) : readSample(layout, listed.samples[index]);
    },
  };
}

/** Split name `name` answers to, after the format's aliases. */
export function resolveSplitName(layout: Pick<FormatLayout, 'aliases'>, name: string): string {
  return layout.aliases && Object.hasOwn(layout.aliases, name) ? layout.aliases[name] : name;
}

/**
 * Opens a dataset in one of the standard layouts. Split lists are read and
 * every listed image and mask is checked to exist now, so a broken copy
 * fails here and not hours into training; pixels are only decoded by each
 * split's `get`, in worker threads (option `workers`) whose decoders run on
 * libuv's thread pool (`@napi-rs/image`, Node's zlib), so reading moves on
 * while the main thread runs a training step.
 *
 * @param root The folder the download extracts to, or the folder above it.
 * @throws If the layout is not found, or listed files are missing (the
 *   message names them; `validateDataset` reports every problem).
 *
 * @example
 * ```ts
 * const voc = await openDataset('/data/VOCdevkit/VOC2012', { format: 'voc' });
 * const { id, image, labels } = await voc.split('train').get(0);
 * ```
 */
export async function openDataset(root: string, options: DatasetOptions): Promise<Dataset> {
  if (options.format === 'msrc') return openMsrcDataset(root, options);
  const layout = await formatModule(options.format).locate(root, options);
  const listed = layout.splits.flatMap((s) => s.samples);
  const exists = await existingFiles(listed.flatMap((s) => [s.image, s.mask]));
  const missing = listed.flatMap((s) => [s.image, s.mask].filter((f) => !exists.has(f)).map((f) => `${f} (listed at ${s.listedAt})`));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join('\n  ');
    const more = missing.length > 10 ? `\n  ... and ${missing.length - 10} more` : '';
    throw new Error(`${options.format} root ${root}: ${missing.length} listed file(s) are missing:\n  ${shown}${more}\n(run seg-deeplab data check for every problem)`);
  }
  const workers = options.workers ?? DEFAULT_DECODE_WORKERS;
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`openDataset: workers must be a non-negative integer, got ${workers}`);
  const pool = workers > 0 ? new DecodePool(root, options, workers) : null;
  const splits = new Map(layout.splits.map((s) => [s.name, makeSplit(layout, s, pool)]));
  const splitNames = Object.freeze([...splits.keys()]);
  return {
    root,
    format: options.format,
    classes: layout.classes,
    palette: layout.palette,
    ignoreIndex: layout.ignoreIndex,
    splitNames,
    split(name) {
      const split = splits.get(resolveSplitName(layout, name));
      if (!split) throw new Error(`${options.format} root ${root}: no split '${name}'; available: ${splitNames.join(', ') || 'none'}`);
      return split;
    },
  };
}
