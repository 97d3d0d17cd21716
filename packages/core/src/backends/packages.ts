/**
 * What each tfjs backend needs installed, in one table: the npm packages, the
 * versions tested together here, what the backend computes on, and the
 * install command `selectBackend` and `seg-doctor` print. `package.json`
 * cannot import it, so `packages.test.ts` checks the peer and development
 * dependencies of the workspace against it.
 *
 * @module
 */

/** The TensorFlow.js release these packages are built and tested with; every `@tensorflow/*` package at this version. */
export const TFJS_VERSION = '4.22.0';

/** An npm package at the version tested here. */
export interface PackagePin {
  /** The npm name. */
  name: string;
  /** The version tested here (published peer ranges are `^version`). */
  version: string;
}

/**
 * The Dawn binding that gives Node a `navigator.gpu`: it ships prebuilt
 * `dawn.node` files for linux-x64, win32 and darwin, so nothing is downloaded
 * at install time.
 */
export const DAWN_PACKAGE: PackagePin = { name: 'webgpu', version: '0.6.2' };

/**
 * The native TensorFlow that `@tensorflow/tfjs-node(-gpu)` {@link TFJS_VERSION}
 * downloads at install time, and the CUDA and cuDNN releases its GPU build was
 * compiled for (CUDA 12 libraries do not satisfy it; a CUDA 12 driver runs CUDA 11 libraries).
 */
export const LIBTENSORFLOW = { version: '2.9.1', cuda: '11.2', cudnn: '8.1' } as const;

/** Every backend name {@link selectBackend} knows. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** A tfjs backend the library can run on. */
export type SegBackendName = (typeof BACKEND_NAMES)[number];

/** Where a backend comes from and what it needs. */
export interface BackendPackage {
  /** The npm package that registers the backend. */
  package: string;
  /** tfjs's name of the backend (`tf.getBackend()`); both libtensorflow packages register `'tensorflow'`. */
  tfjsName: string;
  /** The version of `package` tested here ({@link TFJS_VERSION}). */
  version: string;
  /** Packages it needs besides `package` in Node (Dawn for WebGPU). */
  nodeRequires: readonly PackagePin[];
  /** Where it can run. */
  runsIn: readonly ('node' | 'browser')[];
  /**
   * What it computes on in Node: a GPU, one CPU thread (wasm has no threads
   * in Node; data-parallel replicas multiply it), or every core (libtensorflow's own threads).
   */
  computesOn: 'gpu' | 'one-cpu-thread' | 'all-cpu-cores';
  /** What the install command needs or does besides downloading the packages, if anything. */
  installNote?: string;
}

/** The table: each backend's packages and what it needs. */
export const BACKEND_PACKAGES: Readonly<Record<SegBackendName, Readonly<BackendPackage>>> = {
  'tensorflow-gpu': {
    package: '@tensorflow/tfjs-node-gpu',
    tfjsName: 'tensorflow',
    version: TFJS_VERSION,
    nodeRequires: [],
    runsIn: ['node'],
    computesOn: 'gpu',
    installNote: `on a Linux x64 machine with an NVIDIA GPU and the CUDA ${LIBTENSORFLOW.cuda} and cuDNN ${LIBTENSORFLOW.cudnn} libraries (or use webgpu)`,
  },
  tensorflow: {
    package: '@tensorflow/tfjs-node',
    tfjsName: 'tensorflow',
    version: TFJS_VERSION,
    nodeRequires: [],
    runsIn: ['node'],
    computesOn: 'all-cpu-cores',
    installNote: `(downloads libtensorflow ${LIBTENSORFLOW.version} at install time)`,
  },
  webgpu: {
    package: '@tensorflow/tfjs-backend-webgpu',
    tfjsName: 'webgpu',
    version: TFJS_VERSION,
    nodeRequires: [DAWN_PACKAGE],
    runsIn: ['node', 'browser'],
    computesOn: 'gpu',
  },
  webgl: { package: '@tensorflow/tfjs-backend-webgl', tfjsName: 'webgl', version: TFJS_VERSION, nodeRequires: [], runsIn: ['browser'], computesOn: 'gpu' },
  wasm: { package: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm', version: TFJS_VERSION, nodeRequires: [], runsIn: ['node', 'browser'], computesOn: 'one-cpu-thread' },
  cpu: { package: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu', version: TFJS_VERSION, nodeRequires: [], runsIn: ['node', 'browser'], computesOn: 'one-cpu-thread' },
};

/** Whether `name` is a backend of {@link BACKEND_PACKAGES} (and not, say, `'toString'`). */
export function isSegBackendName(name: unknown): name is SegBackendName {
  return typeof name === 'string' && Object.hasOwn(BACKEND_PACKAGES, name);
}

/** Every package `name` needs here, Node's extra ones first (Dawn must load before the tfjs WebGPU backend). */
export function backendPackages(name: SegBackendName, node: boolean): PackagePin[] {
  const spec = BACKEND_PACKAGES[name];
  return [...(node ? spec.nodeRequires : []), { name: spec.package, version: spec.version }];
}

/** The command that installs `name`'s packages at the tested versions, e.g. `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`. */
export function installCommand(name: SegBackendName, node = true): string {
  const note = BACKEND_PACKAGES[name].installNote;
  return `npm install ${backendPackages(name, node).map((p) => `${p.name}@${p.version}`).join(' ')}${note ? ` ${note}` : ''}`;
}
