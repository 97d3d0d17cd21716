/**
 * `Slice` and `SplitV` for the wasm backend that read their input in place.
 *
 * tfjs-backend-wasm 4.22's `Slice` starts with `readSync(x)`, a copy of the
 * whole input out of the wasm heap, for every slice however small, and its
 * `SplitV` is one such slice per part: a 9-tap filter gradient copied its
 * input nine times, and splitting Adam's 4M-element update into 30 variables
 * copied 480 MB (0.9 s of a 10 s ResNet-18 step, bench/README.md). These
 * read the input through a view of the heap and copy only what is kept, one
 * contiguous run at a time (trailing axes the slice takes whole merge into
 * one run). Strings go to the backend's own kernels.
 *
 * @module
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  Slice,
  type SliceAttrs,
  SplitV,
  type SplitVAttrs,
  slice_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

/** The two methods of tfjs-backend-wasm's `BackendWasm` every wasm kernel uses. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function sliceInPlace(backend: WasmHeap, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) === 0) return out;
  // Views only after makeOutput: growing the heap detaches earlier views.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = [...util.computeStrides(x.shape), 1];
  // Axes from `inner` on are taken whole (but `inner` itself): each run is one contiguous copy.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) inner--;
  const run = size.slice(inner).reduce((a, b) => a * b, 1);
  const index = new Array(inner).fill(0);
  for (let written = 0; written < dst.length; written += run) {
    let offset = begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) offset += (begin[d] + index[d]) * strides[d];
    dst.set(src.subarray(offset, offset + run), written);
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Builds the in-place kernel for `kernelName`, handing strings to the backend's own `fallback`. */
export function wasmSliceConfig(fallback: KernelFunc): KernelConfig {
  return {
    kernelName: Slice,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype === 'string') return fallback(args);
      const { begin, size } = args.attrs as unknown as SliceAttrs;
      const [b, s] = slice_util.parseSliceParams(x, begin, size);
      slice_util.assertParamsValid(x, b, s);
      return sliceInPlace(args.backend as unknown as WasmHeap, x, b, s);
    },
  };
}

/** `SplitV` as in-place slices; strings go to the backend's own kernel. */
export function wasmSplitVConfig(fallback: KernelFunc): KernelConfig {
  return {
    kernelName: SplitV,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype === 'string') return fallback(args);
      const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
      const along = util.parseAxisParam(axis, x.shape)[0];
      const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, along);
      const begin = new Array(x.shape.length).fill(0);
      return sizes.map((n) => {
        const size = [...x.shape];
        size[along] = n;
        const part = sliceInPlace(args.backend as unknown as WasmHeap, x, [...begin], size);
        begin[along] += n;
        return part;
      });
    },
  };
}
