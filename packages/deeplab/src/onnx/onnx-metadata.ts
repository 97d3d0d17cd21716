/**
 * The metadata (`ModelProto.metadata_props`) {@link exportOnnx} writes and
 * {@link loadOnnxSegmenter} reads: what any consumer needs to feed the model.
 *
 * | key | value |
 * | --- | --- |
 * | `seg.format` | `1` |
 * | `seg.layout` | `NCHW`: input `[N, 3, H, W]`, output `[N, classes, H, W]` |
 * | `seg.normalization` | JSON `{ "scale": 255, "mean": [r, g, b], "std": [r, g, b] }`: input = `(rgb / scale - mean) / std` |
 * | `seg.num_classes` | classes of the logits (models with one image output) |
 * | `seg.min_input_size` | smallest height and width in pixels |
 * | `seg.peak_bytes_per_pixel` | float32 bytes live at the widest point of one inference, per input pixel |
 * | `seg.precision` | `fp32` or `fp16` (how the weights are stored; arithmetic is float32) |
 * | `seg.source_model` | the tfjs model's name |
 * | `seg.classes` | JSON `[{ "name": …, "color": [r, g, b] }, …]` when the model records its classes (`setModelClasses`); optional |
 *
 * @module
 */
import type { Normalization } from '@seg/core';
import { checkModelClasses, type ModelClass } from '../classes/model-classes.js';

/** Metadata keys, in one place for writer and reader. */
export const ONNX_METADATA_KEYS = {
  format: 'seg.format',
  layout: 'seg.layout',
  normalization: 'seg.normalization',
  numClasses: 'seg.num_classes',
  minInputSize: 'seg.min_input_size',
  peakBytesPerPixel: 'seg.peak_bytes_per_pixel',
  precision: 'seg.precision',
  sourceModel: 'seg.source_model',
  classes: 'seg.classes',
} as const;

/** The value of `seg.format` this version writes and reads. */
export const ONNX_METADATA_FORMAT = '1';

/** What a segmenter needs from the metadata, parsed. */
export interface SegmenterMetadata {
  normalization: Normalization;
  numClasses: number;
  minInputSize: number;
  /** Absent when the exporter could not size the model. */
  peakBytesPerPixel?: number;
  /** The classes' names and colours, when the exported model recorded them. */
  classes?: ModelClass[];
}

const REQUIRED = ['format', 'layout', 'normalization', 'numClasses', 'minInputSize'] as const;

/**
 * Bounds of the numeric keys. A model file may come from anywhere, and the
 * memory check trusts these numbers: `seg.peak_bytes_per_pixel = 1e-300`
 * would switch it off. The bounds are far outside what real models write.
 */
const NUMERIC_RANGES: Readonly<Record<string, { min: number; max: number; integer: boolean; why: string }>> = {
  [ONNX_METADATA_KEYS.numClasses]: { min: 1, max: 65_536, integer: true, why: 'classes of the logits' },
  [ONNX_METADATA_KEYS.minInputSize]: { min: 1, max: 4096, integer: true, why: 'pixels per side' },
  // At least one float32 per pixel; a megabyte per pixel would need 10 GB for a 100x100 image.
  [ONNX_METADATA_KEYS.peakBytesPerPixel]: { min: 4, max: 2 ** 20, integer: false, why: 'float32 bytes live per input pixel' },
};

/**
 * Parses the metadata a segmenter needs.
 *
 * @param file Names the model in errors.
 * @throws Naming the file and every missing or malformed key, and what to do.
 */
export function parseSegmenterMetadata(file: string, metadata: Readonly<Record<string, string>>): SegmenterMetadata {
  const missing = REQUIRED.map((k) => ONNX_METADATA_KEYS[k]).filter((k) => metadata[k] === undefined);
  if (missing.length) {
    throw new Error(
      `loadOnnxSegmenter: ${file} has no ${missing.join(', ')} metadata; export the model with exportOnnx() or \`seg-deeplab export\`, ` +
        `or add metadata_props ${ONNX_METADATA_KEYS.layout}=NCHW, ${ONNX_METADATA_KEYS.normalization}={"scale":255,"mean":[...],"std":[...]}, ${ONNX_METADATA_KEYS.numClasses}, ${ONNX_METADATA_KEYS.minInputSize} and ${ONNX_METADATA_KEYS.format}=${ONNX_METADATA_FORMAT}`,
    );
  }
  const bad = (key: string, expected: string): never => {
    throw new Error(`loadOnnxSegmenter: ${file} has ${key}=${JSON.stringify(metadata[key])}; expected ${expected}`);
  };
  if (metadata[ONNX_METADATA_KEYS.format] !== ONNX_METADATA_FORMAT) bad(ONNX_METADATA_KEYS.format, `"${ONNX_METADATA_FORMAT}" (a newer @seg/deeplab wrote it?)`);
  if (metadata[ONNX_METADATA_KEYS.layout] !== 'NCHW') bad(ONNX_METADATA_KEYS.layout, '"NCHW"');
  let normalization: Required<Extract<Normalization, object>> | undefined;
  try {
    normalization = JSON.parse(metadata[ONNX_METADATA_KEYS.normalization]);
  } catch {}
  const triple = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!normalization || !(normalization.scale > 0) || !triple(normalization.mean) || !triple(normalization.std) || !normalization.std.every((s) => s > 0)) {
    bad(ONNX_METADATA_KEYS.normalization, 'JSON {"scale": 255, "mean": [r, g, b], "std": [r, g, b]} with positive scale and std');
  }
  const inRange = (key: string, required: boolean): number | undefined => {
    if (!required && metadata[key] === undefined) return undefined;
    const n = Number(metadata[key]);
    const { min, max, integer, why } = NUMERIC_RANGES[key];
    return Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n)) ? n : bad(key, `${integer ? 'an integer' : 'a number'} from ${min} to ${max} (${why})`);
  };
  const numClasses = inRange(ONNX_METADATA_KEYS.numClasses, true) as number;
  let classes: ModelClass[] | undefined;
  if (metadata[ONNX_METADATA_KEYS.classes] !== undefined) {
    try {
      classes = checkModelClasses(JSON.parse(metadata[ONNX_METADATA_KEYS.classes]), numClasses, `${file}: ${ONNX_METADATA_KEYS.classes}`);
    } catch (e) {
      bad(ONNX_METADATA_KEYS.classes, `a JSON list of ${numClasses} { "name", "color"? } entries (${(e as Error).message})`);
    }
  }
  return {
    normalization: normalization as Normalization,
    numClasses,
    ...(classes ? { classes } : {}),
    minInputSize: inRange(ONNX_METADATA_KEYS.minInputSize, true) as number,
    peakBytesPerPixel: inRange(ONNX_METADATA_KEYS.peakBytesPerPixel, false),
  };
}
