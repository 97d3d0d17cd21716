/**
 * The values of the tensor views a `.pth` file describes, contiguous:
 * contiguous views are handed out as views into the file's bytes, strided
 * ones (slices, transposes, `expand`) are copied out.
 *
 * A view costs a few bytes of pickle whatever it asks for: a stride of 0 over
 * one value describes a tensor of any size, and a pickle can name one view
 * many times through its memo or rebuild the same one again and again. So a
 * file gets one budget of copied bytes for all its views, and views of the
 * same storage, offset, size and stride are copied once and share the copy.
 *
 * @module
 */
import { SAFETENSORS_DTYPE_BYTES } from './safetensors.js';
import type { Storage, TensorView } from './torch-pickle.js';

/** What a file may copy beyond twice its own size (see {@link viewCopyBudget}). */
export const VIEW_COPY_ALLOWANCE_BYTES = 64 * 2 ** 20;

/**
 * Bytes the strided views of a file of `fileBytes` may copy out in all:
 * twice its size plus 64 MiB. The slices and transposes of a genuine
 * checkpoint copy at most its stored bytes once; the allowance covers small
 * `expand`ed tensors in small files.
 */
export function viewCopyBudget(fileBytes: number): number {
  return 2 * fileBytes + VIEW_COPY_ALLOWANCE_BYTES;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies of one file's strided views, shared by equal views and bounded by one budget. */
export class ViewCopies {
  private readonly copies = new Map<Storage, Map<string, Uint8Array>>();
  private copied = 0;

  /** @param budget Bytes all copies together may take (see {@link viewCopyBudget}). */
  constructor(readonly budget: number) {}

  /**
   * The view's values, contiguous: a view into the storage when already
   * contiguous, else a copy (the same copy for an equal view).
   *
   * @throws If the copy would take the file past its budget, before copying.
   */
  read(view: TensorView): Uint8Array {
    const { storage, offset, shape, stride } = view;
    const size = SAFETENSORS_DTYPE_BYTES[storage.dtype];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel === 0 || isContiguous(shape, stride)) return storage.data.subarray(offset * size, (offset + numel) * size);
    const key = `${offset}/${shape}/${stride}`;
    let ofStorage = this.copies.get(storage);
    const known = ofStorage?.get(key);
    if (known) return known;
    const bytes = numel * size;
    if (this.copied + bytes > this.budget) {
      throw new Error(
        `a strided view of shape [${shape}] over ${storage} would copy ${bytes} bytes, and with the ${this.copied} copied before ` +
          `exceed this file's budget of ${this.budget} bytes for copies (twice its size plus ${VIEW_COPY_ALLOWANCE_BYTES}); refused`,
      );
    }
    this.copied += bytes;
    const out = copyView(storage.data, size, offset, shape, stride, numel);
    if (!ofStorage) {
      ofStorage = new Map();
      this.copies.set(storage, ofStorage);
    }
    ofStorage.set(key, out);
    return out;
  }
}

function copyView(data: Uint8Array, size: number, offset: number, shape: number[], stride: number[], numel: number): Uint8Array {
  const out = new Uint8Array(numel * size);
  const index = new Array<number>(shape.length).fill(0);
  // Byte by byte: `out.set(subarray)` per value was 5–7 times slower (a 16 MiB stride-0 view, measured side by side).
  let source = offset * size;
  for (let n = 0, at = 0; n < numel; n++) {
    for (let b = 0; b < size; b++) out[at++] = data[source + b];
    // Odometer over the index, moving the source position by each axis's stride.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) {
        source += stride[axis] * size;
        break;
      }
      source -= (shape[axis] - 1) * stride[axis] * size;
      index[axis] = 0;
    }
  }
  return out;
}
