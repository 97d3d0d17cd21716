import type { DatasetFormat } from '../dataset.js';
import { ade20k } from './ade20k/ade20k.js';
import { cityscapes } from './cityscapes/cityscapes.js';
import { cocoStuff } from './coco-stuff/coco-stuff.js';
import { folder } from './folder/folder.js';
import type { DatasetFormatModule } from './format-layout.js';
import { voc } from './voc/voc.js';

/** The format modules, by name; MSRC goes through its own reader (see `formats/msrc/msrc.ts`). */
const FORMATS: Readonly<Record<Exclude<DatasetFormat, 'msrc'>, DatasetFormatModule>> = {
  voc,
  cityscapes,
  ade20k,
  'coco-stuff': cocoStuff,
  folder,
};

/** Every format name, for messages and the CLI. */
export const DATASET_FORMATS: readonly DatasetFormat[] = Object.freeze([...(Object.keys(FORMATS) as DatasetFormat[]), 'msrc']);

/**
 * The module of `format`.
 *
 * @throws Naming the valid formats.
 */
export function formatModule(format: Exclude<DatasetFormat, 'msrc'>): DatasetFormatModule {
  const module = Object.hasOwn(FORMATS, format) ? FORMATS[format] : undefined;
  if (!module) throw new Error(`unknown dataset format ${JSON.stringify(format)}; expected one of ${DATASET_FORMATS.join(', ')}`);
  return module;
}
