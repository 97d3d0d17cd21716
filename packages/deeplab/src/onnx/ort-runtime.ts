/**
 * ONNX Runtime, an optional peer: imported at run time only (browser bundles
 * and users without it never load it), typed by the few members used here
 * so this package's types do not depend on it.
 *
 * @module
 */
import { importAtRuntime } from '../runtime-import.js';

/** The ONNX Runtime tensor members used here. */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** The ONNX Runtime session members used here. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/**
 * The parts of an `onnxruntime-node` or `onnxruntime-web` module the
 * segmenter uses: pass `import * as ort from 'onnxruntime-web'` as
 * `options.ort` when a bundler should resolve it.
 */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env?: { wasm?: { numThreads?: number } };
}

/** The runtimes the segmenter can load. */
export type OrtRuntimeName = 'node' | 'web';

/** The npm package of each runtime, and the range this package is tested with. */
export const ORT_PACKAGES: Readonly<Record<OrtRuntimeName, string>> = { node: 'onnxruntime-node', web: 'onnxruntime-web' };
const ORT_RANGE = '^1.30.0';

/** `'node'` under Node.js, else `'web'`. */
export function defaultOrtRuntime(): OrtRuntimeName {
  return typeof process !== 'undefined' && process.versions?.node ? 'node' : 'web';
}

/**
 * Imports the runtime's package.
 *
 * @throws If it is not installed, naming the package and the install command.
 */
export async function importOrt(runtime: OrtRuntimeName, where: string): Promise<OrtModule> {
  const name = ORT_PACKAGES[runtime];
  let mod: Partial<OrtModule> & { default?: OrtModule };
  try {
    mod = (await importAtRuntime(name)) as typeof mod;
  } catch (e) {
    const cause = (e as Error).message.split('\n')[0];
    throw new Error(
      `${where}: the optional peer dependency ${name} could not be loaded (${cause}); install it with \`npm install ${name}@${ORT_RANGE}\`` +
        (runtime === 'node' ? ' (its CPU runtime ships in the package; set ONNXRUNTIME_NODE_INSTALL=skip or add --ignore-scripts so its install script downloads no CUDA parts)' : '') +
        (runtime === 'web' ? ", or pass the imported module as options.ort (import * as ort from 'onnxruntime-web')" : ''),
    );
  }
  return mod.InferenceSession ? (mod as OrtModule) : (mod.default as OrtModule);
}
