import { importAtRuntime } from '../runtime-import.js';
import { MissingPeerError } from '../batch/errors.js';

/** BullMQ's module. */
export type BullMQ = typeof import('bullmq');
/** ioredis's client class. */
export type RedisClass = typeof import('ioredis').Redis;

let loaded: Promise<{ bullmq: BullMQ; Redis: RedisClass }> | undefined;

/**
 * BullMQ and ioredis, optional peers loaded when a queue is first used, so
 * that local segmentation and browsers never need them.
 *
 * @throws {MissingPeerError} Naming the missing packages and the install command.
 */
export function loadQueuePeers(): Promise<{ bullmq: BullMQ; Redis: RedisClass }> {
  loaded ??= (async () => {
    const names = ['bullmq', 'ioredis'];
    const found = await Promise.allSettled(names.map(importAtRuntime));
    const failed = found.flatMap((r, i) => (r.status === 'rejected' ? [{ name: names[i], why: String(r.reason?.message ?? r.reason).split('\n')[0] }] : []));
    if (failed.length > 0) throw new MissingPeerError(failed.map((f) => f.name), 'segmenting through a Redis queue', failed.map((f) => f.why).join('; '));
    const [bullmq, ioredis] = found.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [BullMQ, { Redis?: RedisClass; default?: RedisClass }];
    return { bullmq, Redis: (ioredis.Redis ?? ioredis.default)! };
  })().catch((e: Error) => {
    loaded = undefined;
    throw e;
  });
  return loaded;
}
