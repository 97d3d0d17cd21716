import { MIN_INPUT_SIZE } from '../model/config.js';

/** Options of {@link segment} and of a {@link Segmenter}'s `segment()`. */
export interface SegmentOptions {
  /**
   * Horizontal-flip test-time augmentation: also predict the mirrored image
   * and average its mirrored-back probabilities with the plain ones. Default `false`.
   */
  flip?: boolean;
  /**
   * Input scales whose class probabilities are resized back to the image size
   * and averaged (multi-scale inference, e.g. `[0.5, 0.75, 1, 1.25, 1.5, 1.75]`
   * in the paper's evaluation). Default `[1]`.
   */
  scales?: readonly number[];
  /** Also return each pixel's winning probability. Default `false`. */
  returnScores?: boolean;
}

/** A segmentation as plain data: one class id per pixel, row-major. */
export interface Segmentation {
  /** Width in pixels (the input image's). */
  width: number;
  /** Height in pixels (the input image's). */
  height: number;
  /** Class id per pixel; `Uint8Array` for up to 256 classes, else `Int32Array`. */
  labels: Uint8Array | Int32Array;
  /** Averaged probability of the chosen class per pixel, if `returnScores` was set. */
  scores?: Float32Array;
}

/** {@link SegmentOptions} checked, with defaults filled in. */
export type ResolvedSegmentOptions = Required<SegmentOptions>;

/** The option names: anything else is refused, so a misspelt option (`scale`) never passes silently. */
const OPTION_NAMES: readonly (keyof SegmentOptions)[] = ['flip', 'scales', 'returnScores'];

const describe = (value: unknown) => (typeof value === 'number' || typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value)));

function flag(where: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new Error(`${where}: options.${name} is ${describe(value)}; expected true or false`);
  return value;
}

/**
 * Checks `options` and the scaled sizes of a `width`×`height` image, naming
 * the argument and what would be right.
 */
export function resolveSegmentOptions(where: string, options: unknown, width: number, height: number): ResolvedSegmentOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options is ${describe(options)}; expected an object such as { flip: true, scales: [1, 1.5] }`);
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((key) => !(OPTION_NAMES as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new Error(`${where}: unknown option(s) ${unknown.join(', ')}; the options are ${OPTION_NAMES.join(', ')}`);
  }
  const scales = o.scales ?? [1];
  if (Array.isArray(scales) && scales.length === 0) throw new Error(`${where}: options.scales is empty; pass at least one scale, e.g. [1]`);
  if (!Array.isArray(scales)) {
    throw new Error(`${where}: options.scales is ${describe(scales)}; expected a non-empty array of scales such as [1] or [0.75, 1, 1.25]`);
  }
  scales.forEach((s: unknown, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
      throw new Error(`${where}: options.scales[${i}] is ${describe(s)}; expected a finite positive number such as 0.75`);
    }
    const [w, h] = [Math.round(width * s), Math.round(height * s)];
    if (h < MIN_INPUT_SIZE || w < MIN_INPUT_SIZE) {
      throw new Error(
        `${where}: scale ${s} turns the ${width}x${height} image into ${w}x${h}; scales must be positive and keep both sides >= ${MIN_INPUT_SIZE} px`,
      );
    }
  });
  return { flip: flag(where, 'flip', o.flip), scales: [...scales], returnScores: flag(where, 'returnScores', o.returnScores) };
}
