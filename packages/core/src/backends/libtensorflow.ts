/**
 * Why `@tensorflow/tfjs-node(-gpu)` fails to load, from the dynamic loader's
 * error, and what fixes it. The loader's text is the only account Node gives
 * of a missing shared library, so it is read here, once.
 *
 * @module
 */
import { LIBTENSORFLOW, TFJS_VERSION } from './packages.js';

const CUDA_NEEDS =
  `@tensorflow/tfjs-node-gpu ${TFJS_VERSION} runs libtensorflow ${LIBTENSORFLOW.version}, built for CUDA ${LIBTENSORFLOW.cuda} ` +
  `and cuDNN ${LIBTENSORFLOW.cudnn} (CUDA 12 libraries do not satisfy it)`;

/** What makes libtensorflow find its CUDA libraries. */
export const CUDA_FIX =
  `install the CUDA 11.x runtime libraries (cudart, cublas, cublasLt, cufft, curand, cusolver, cusparse) and cuDNN ${LIBTENSORFLOW.cudnn} ` +
  'into a folder of their own and put it on LD_LIBRARY_PATH; a CUDA 12 driver runs CUDA 11 libraries (docs/guides/gpu.md)';

/** Why libtensorflow opened no GPU although it loaded. */
export const NO_CUDA_DEVICE =
  `libtensorflow loaded but opened no CUDA GPU: ${CUDA_NEEDS}; GPUs newer than its CUDA ${LIBTENSORFLOW.cuda} build (e.g. Hopper) are not known to work`;

const LIBTENSORFLOW_FIX =
  "its install script did not fetch libtensorflow: run `npm rebuild @tensorflow/tfjs-node-gpu` with network access, or offline set TFJS_NODE_CDN_STORAGE to a mirror or put a custom-binary.json in the package's scripts/ folder (docs/guides/gpu.md)";

/** A missing shared library named in a dynamic-loader error, e.g. `libcudart.so.11.0`. */
export function missingSharedLibrary(message: string): string | undefined {
  return /([\w.+-]+\.(?:so[\w.]*|dll|dylib)): cannot open shared object file/.exec(message)?.[1] ?? /Library not loaded: .*?([\w.+-]+\.dylib)/.exec(message)?.[1];
}

/** The explanation and fix for a libtensorflow package that failed to load with `message`. */
export function explainTfjsNodeFailure(pkg: string, message: string): { problem: string; fix: string } {
  const lib = missingSharedLibrary(message);
  if (lib && /cu|nv/i.test(lib)) {
    return { problem: `${pkg} cannot load ${lib}: ${CUDA_NEEDS}`, fix: CUDA_FIX };
  }
  if (lib || /tfjs_binding\.node|libtensorflow/.test(message)) {
    return { problem: `${pkg} is installed without its native library${lib ? ` (${lib} is missing)` : ''}`, fix: LIBTENSORFLOW_FIX };
  }
  return { problem: `${pkg} failed to load: ${message.split('\n')[0]}`, fix: `reinstall ${pkg} and check its install log` };
}
