/**
 * Two things tfjs backends do in Node that mislead a user, undone where each
 * backend is created, whoever creates it (`selectBackend`, a user's
 * `tf.setBackend`, tfjs picking its default):
 *
 * - tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in
 *   Node.js … install our node backend" on its first tensor in Node
 *   (`MathBackendCPU.write`, behind its own `firstUse` field). The switches
 *   tfjs offers are too wide: `PROD` silences every tfjs warning, `IS_TEST`
 *   also turns on a leak check per kernel. The banner contradicts this
 *   library's choice (wasm/cpu in Node without libtensorflow; `seg-doctor`
 *   says what is faster on a machine), so only it goes.
 * - tfjs-backend-wasm's emscripten glue (built with NODEJS_CATCH_EXIT and
 *   NODEJS_CATCH_REJECTION) adds `process` listeners when the module
 *   initialises that rethrow every unhandled rejection and uncaught
 *   exception from inside themselves: Node then prints the glue's source line
 *   (36 kB of minified JavaScript when the ESM build loads) before the user's
 *   error, and exits with 7 instead of 1. They only exist to swallow
 *   emscripten's `ExitStatus`, which tfjs never throws (it never calls
 *   `exit()`), so they are removed as soon as they are added (Node's
 *   `newListener` event), whenever and however the module initialises.
 *
 * @module
 */
import { engine, type KernelBackend } from '@tensorflow/tfjs-core';
import { isNode } from './environment.js';

type Factory = () => KernelBackend | Promise<KernelBackend>;

/** The parts of tfjs's engine that hold backend factories and instances (public fields, not in its typings' exports). */
interface EngineRegistry {
  registry: Record<string, KernelBackend>;
  registryFactory: Record<string, { factory: Factory; priority: number }>;
}

const quietened = new WeakSet<Factory>();

/** The emscripten glue's two handlers, as `Function.prototype.toString` gives them (its minified and its Node build). */
const GLUE_HANDLERS = [
  /^function ?\((\w+)\) ?\{ ?throw \1;? ?\}$/,
  /^function ?\((\w+)\) ?\{ ?if ?\(!\(\1 instanceof ExitStatus\)\) ?\{ ?throw \1;? ?\} ?\}$/,
];

type Listener = (...args: unknown[]) => void;
const GLUE_EVENTS = ['unhandledRejection', 'uncaughtException'] as const;

function isGlueHandler(listener: Listener): boolean {
  const source = Function.prototype.toString.call(listener).replace(/\s+/g, ' ');
  return GLUE_HANDLERS.some((p) => p.test(source));
}

let watching = false;

/** Removes the emscripten glue's rethrowing `process` handlers now and whenever one is added later. */
function removeGlueHandlers(): void {
  if (watching) return;
  watching = true;
  const emitter = process as unknown as { listeners(event: string): Listener[]; removeListener(event: string, listener: Listener): void };
  for (const event of GLUE_EVENTS) {
    for (const listener of emitter.listeners(event)) if (isGlueHandler(listener)) emitter.removeListener(event, listener);
  }
  // Called before the listener is added: it goes in the next microtask, before Node
  // could report any rejection to it.
  process.on('newListener', (event: string | symbol, listener: Listener) => {
    if ((GLUE_EVENTS as readonly (string | symbol)[]).includes(event) && isGlueHandler(listener)) {
      queueMicrotask(() => emitter.removeListener(event as string, listener));
    }
  });
}

function silenceCpuBanner(backend: KernelBackend): void {
  // `firstUse` is read once, by the first write: false means "already greeted".
  if ('firstUse' in backend) (backend as { firstUse: boolean }).firstUse = false;
}

/**
 * Makes the `cpu` and `wasm` backends quiet in Node (see the module's
 * comment): the cpu backend when tfjs creates it (or now, if it has), the
 * wasm glue's handlers whenever they appear. Idempotent; run on
 * `import '@seg/core'`, once more after the importing program's other
 * imports (a backend package imported after @seg/core registers only then),
 * and by `selectBackend` after it imports a backend's package.
 *
 * @internal
 */
export function quietTfjsBackends(): void {
  if (!isNode) return;
  removeGlueHandlers();
  const { registry, registryFactory } = engine() as unknown as EngineRegistry;
  const entry = registryFactory.cpu;
  if (entry === undefined || quietened.has(entry.factory)) return;
  if (registry.cpu !== undefined) silenceCpuBanner(registry.cpu);
  const theirs = entry.factory;
  // The cpu backend is made synchronously; the engine relies on that (a thenable would make it async).
  const ours: Factory = () => {
    const made = theirs() as KernelBackend;
    silenceCpuBanner(made);
    return made;
  };
  entry.factory = ours;
  quietened.add(ours);
}
