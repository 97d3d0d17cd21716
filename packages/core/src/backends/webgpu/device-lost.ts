import * as tf from '@tensorflow/tfjs-core';

interface LostInfo {
  reason?: string;
  message?: string;
}
interface DeviceLike {
  lost?: Promise<LostInfo>;
}

const lostDevices = new WeakMap<object, LostInfo>();
/** Per device, the rejecters of the reads waiting on it; a Set, so finished reads leave nothing behind. */
const waiting = new WeakMap<object, Set<(e: Error) => void>>();

function lostError(info: LostInfo): Error {
  const why = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
  return new Error(
    `GPU device lost (${why}). The WebGPU backend cannot continue in this process: ` +
      'restart the run from its last checkpoint once the GPU is back (seg-doctor shows which adapters are available).',
  );
}

/** The GPU device behind the active tfjs backend (the WebGPU backend's `device`), watched for loss. */
function activeDevice(): DeviceLike | undefined {
  let backend: unknown;
  try {
    backend = tf.engine().backend;
  } catch {
    // No backend initialised yet: nothing can have been lost.
    return undefined;
  }
  const device = (backend as { device?: DeviceLike } | undefined)?.device;
  if (!device?.lost) return undefined;
  if (!waiting.has(device)) {
    const waiters = new Set<(e: Error) => void>();
    waiting.set(device, waiters);
    void device.lost.then((info) => {
      lostDevices.set(device, info ?? {});
      for (const reject of waiters) reject(lostError(info ?? {}));
    });
  }
  return device;
}

/** Throws if the active backend's GPU device has been lost. */
export function assertGpuDeviceAlive(): void {
  const device = activeDevice();
  const info = device ? lostDevices.get(device) : undefined;
  if (info) throw lostError(info);
}

/**
 * Waits for `work` (say, a tensor's `data()`), or fails as soon as the active
 * backend's GPU device is lost: reads from a lost device may never settle, and
 * a training run would hang on them instead of stopping.
 */
export async function untilGpuDeviceLost<T>(work: Promise<T>): Promise<T> {
  const device = activeDevice();
  if (!device) return work;
  assertGpuDeviceAlive();
  const waiters = waiting.get(device)!;
  let reject: (e: Error) => void = () => {};
  const lost = new Promise<never>((_, r) => {
    reject = r;
  });
  waiters.add(reject);
  try {
    return await Promise.race([work, lost]);
  } finally {
    waiters.delete(reject);
  }
}
