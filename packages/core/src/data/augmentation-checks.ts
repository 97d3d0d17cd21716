// Option checks shared by the augmentations; internal, not re-exported.

/** Throws a range error naming the augmentation, option and allowed range. */
export function checkRange(op: string, name: string, value: number, lo: number, hi: number): void {
  if (!(Number.isFinite(value) && value >= lo && value <= hi)) {
    throw new RangeError(`${op}: ${name} must be in [${lo}, ${hi}], got ${value}`);
  }
}

/** Throws unless `ignoreIndex` is a label value a `Uint8Array` can hold. */
export function checkIgnoreIndex(op: string, ignoreIndex: number): void {
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < 0 || ignoreIndex > 255) {
    throw new RangeError(`${op}: ignoreIndex must be an integer in [0, 255] (e.g. MSRC_VOID = 21), got ${ignoreIndex}`);
  }
}

/** Throws unless `fill` is an RGB triple of bytes. */
export function checkFill(op: string, fill: readonly number[]): void {
  if (fill.length !== 3 || fill.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new RangeError(`${op}: fill must be three integers in [0, 255], got [${fill.join(', ')}]`);
  }
}
