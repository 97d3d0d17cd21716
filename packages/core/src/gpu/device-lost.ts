import * as tf from '@tensorflow/tfjs-core';

interface LostInfo {
  reason?: string;
  message?: string;
}
interface DeviceLike {
  lost?: Promise<LostInfo>;
}

const lostDevices = new WeakMap<object, LostInfo>();
const watched = new WeakSet<object>();

/** The GPU device behind the active tfjs backend (the WebGPU backend's `device`), if it has one. */
function activeDevice(): DeviceLike | undefined {
  const device = (tf.engine().backend as { device?: DeviceLike } | undefined)?.device;
  if (!device?.lost) return undefined;
  if (!watched.has(device)) {
    watched.add(device);
    void device.lost.then((info) => lostDevices.set(device, info ?? {}));
  }
  return device;
}

function lostError(info: LostInfo): Error {
  const why = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
  return new Error(
    `GPU device lost (${why}). The WebGPU backend cannot continue in this process: ` +
      'restart the run from its last checkpoint once the GPU is back (seg-doctor shows which adapters are available).',
  );
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
  if (!device?.lost) return work;
  assertGpuDeviceAlive();
  const lost = device.lost.then((info) => Promise.reject(lostError(info ?? {})));
  // The loser of the race must not surface as an unhandled rejection.
  lost.catch(() => {});
  return Promise.race([work, lost]);
}
