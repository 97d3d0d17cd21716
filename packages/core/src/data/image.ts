/**
 * An 8-bit RGB image, row-major, top row first, channels interleaved
 * (`[r, g, b, r, g, b, ...]`): what training data, augmentations and the
 * image decoders hold. One of @seg's two image shapes; the other is
 * {@link Pixels}.
 */
export interface RgbImage {
  /** `width * height * 3` bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Interleaved RGB or RGBA pixels, row-major, top row first: what inference
 * (`segment()`, `preprocess()`, `overlay()`) takes and what decoders that keep
 * alpha return. A browser `ImageData` is one (its `channels` is absent, so 4).
 * One of @seg's two image shapes; the other is {@link RgbImage}.
 *
 * @typeParam Data The buffer type: 8-bit values by default; code that reads a
 *   tensor's values may hold them as floats or ints.
 */
export interface Pixels<Data extends ArrayLike<number> = Uint8Array | Uint8ClampedArray> {
  /** `width * height * channels` values in 0–255. */
  data: Data;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 3 (RGB) or 4 (RGBA; alpha is ignored where only colour matters). Default 4, as in `ImageData`. */
  channels?: 3 | 4;
}

/**
 * An image with its per-pixel class ids (`width * height` bytes, same pixel
 * order as the image). Augmentations take and return this pair so image and
 * labels can never drift apart.
 */
export interface LabeledImage {
  image: RgbImage;
  labels: Uint8Array;
}

/** One sample of a {@link SegmentationDataset}: a labeled image and its id (e.g. the file stem). */
export interface SegmentationSample extends LabeledImage {
  id: string;
}

/**
 * A random-access segmentation dataset. Samples are fetched on demand so a
 * dataset need never hold every decoded image in memory; `@seg/msrc`'s splits
 * implement it, and so can any in-memory array.
 */
export interface SegmentationDataset {
  /** Number of samples; valid indices are `0..size-1`. */
  readonly size: number;
  /** Loads sample `index`. */
  get(index: number): Promise<SegmentationSample>;
}

/**
 * Throws unless `sample`'s buffers have the sizes its width and height imply.
 *
 * @param sample The pair to check.
 * @param where A name for the sample (id or file) used in the error message.
 */
export function assertLabeledImage(sample: LabeledImage, where: string): void {
  const { image, labels } = sample;
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${where}: image size ${width}×${height} is invalid; width and height must be positive integers`);
  }
  if (image.data.length !== width * height * 3) {
    throw new Error(
      `${where}: image data has ${image.data.length} bytes but a ${width}×${height} RGB image needs ${width * height * 3}`,
    );
  }
  if (labels.length !== width * height) {
    throw new Error(`${where}: labels have ${labels.length} entries but the ${width}×${height} image needs ${width * height}`);
  }
}
