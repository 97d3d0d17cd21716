import * as tf from '@tensorflow/tfjs-core';
import { importAtRuntime } from './runtime-import.js';

/** A tfjs backend the library can run on, best first. */
export type SegBackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Where each backend comes from: the npm package that registers it and tfjs's backend name. */
export const BACKEND_PACKAGES: Readonly<Record<SegBackendName, { package: string; tfjsName: string }>> = {
  'tensorflow-gpu': { package: '@tensorflow/tfjs-node-gpu', tfjsName: 'tensorflow' },
  tensorflow: { package: '@tensorflow/tfjs-node', tfjsName: 'tensorflow' },
  webgpu: { package: '@tensorflow/tfjs-backend-webgpu', tfjsName: 'webgpu' },
  webgl: { package: '@tensorflow/tfjs-backend-webgl', tfjsName: 'webgl' },
  wasm: { package: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm' },
  cpu: { package: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu' },
};

/** The default order: libtensorflow with CUDA, then CPU libtensorflow, then the browser GPU backends, then wasm (XNNPACK), then plain JS. */
export const DEFAULT_BACKEND_ORDER: readonly SegBackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** What {@link selectBackend} chose and why the better ones were passed over. */
export interface BackendSelection {
  name: SegBackendName;
  /** tfjs's name of the active backend (`tf.getBackend()`). */
  tfjsName: string;
  /** One line per backend tried before the chosen one, saying why it was not used. */
  skipped: string[];
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

/**
 * Activates the best tfjs backend that is installed and initialises here, in
 * `order` (default {@link DEFAULT_BACKEND_ORDER}), importing its package when
 * needed. Node-only backends are skipped in browsers and vice versa.
 *
 * @throws If none of them can be used, listing why each failed.
 */
export async function selectBackend(order: readonly SegBackendName[] = DEFAULT_BACKEND_ORDER): Promise<BackendSelection> {
  const skipped: string[] = [];
  for (const name of order) {
    const spec = BACKEND_PACKAGES[name];
    if (!spec) throw new Error(`selectBackend: unknown backend "${name}"; expected one of ${Object.keys(BACKEND_PACKAGES).join(', ')}`);
    const nodeOnly = name === 'tensorflow' || name === 'tensorflow-gpu';
    const browserOnly = name === 'webgl' || name === 'webgpu';
    if ((nodeOnly && !isNode) || (browserOnly && isNode)) {
      skipped.push(`${name}: not available in this environment`);
      continue;
    }
    // libtensorflow registers as "tensorflow" for both the CPU and the CUDA package, so only
    // a successful import of the GPU package itself proves the GPU build is there.
    if (nodeOnly || tf.findBackendFactory(spec.tfjsName) === null) {
      try {
        await importAtRuntime(spec.package);
      } catch (e) {
        skipped.push(`${name}: ${spec.package} is not installed (${(e as Error).message.split('\n')[0]})`);
        continue;
      }
    }
    try {
      if (await tf.setBackend(spec.tfjsName)) {
        await tf.ready();
        return { name, tfjsName: tf.getBackend(), skipped };
      }
      skipped.push(`${name}: backend failed to initialise`);
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`selectBackend: no usable tfjs backend.\n  ${skipped.join('\n  ')}`);
}
