import type { Redis } from 'ioredis';
import { loadQueuePeers } from './peers.js';
import type { QueueAddress } from './queue-url.js';

/** Longest wait between reconnection attempts while Redis is away. */
export const REDIS_RECONNECT_MAX_MS = 2000;

/**
 * A Redis connection for BullMQ that outlives outages: commands wait while
 * Redis is away (`maxRetriesPerRequest: null`, as BullMQ requires) and it
 * reconnects every {@link REDIS_RECONNECT_MAX_MS} at most, so workers pause
 * and resume on their own. `log` gets one line when Redis goes away and one
 * when it is back.
 *
 * @param options.mustConnect Throw if the first connection fails instead of
 *   waiting for Redis: for a command that has done nothing yet (`submit`),
 *   where an error now says more than waiting.
 * @throws With `mustConnect`, naming the address and the connection's error.
 */
export async function connectRedis(address: QueueAddress, log: (line: string) => void, options: { mustConnect?: boolean } = {}): Promise<Redis> {
  const { Redis } = await loadQueuePeers();
  const redis = new Redis({
    host: address.host,
    port: address.port,
    username: address.username,
    password: address.password,
    db: address.db,
    tls: address.tls ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, REDIS_RECONNECT_MAX_MS),
  });
  if (options.mustConnect) {
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error) => {
        redis.off('ready', ready);
        redis.disconnect();
        reject(new Error(`cannot reach redis ${address.display} (${e.message}); is Redis running there? nothing was queued`));
      };
      const ready = () => {
        redis.off('error', failed);
        resolve();
      };
      redis.once('error', failed);
      redis.once('ready', ready);
    });
  }
  watchOutages(redis, address, log);
  return redis;
}

/**
 * Logs when a Redis connection is lost (once per outage: ioredis announces
 * each reconnection attempt) and when it is back. An intended disconnect
 * reconnects nothing and logs nothing.
 */
function watchOutages(redis: Redis, address: QueueAddress, log: (line: string) => void): void {
  let away = false;
  let lastError = '';
  redis.on('error', (e: Error) => {
    lastError = e.message;
  });
  redis.on('reconnecting', () => {
    if (away) return;
    away = true;
    log(`redis ${address.host}:${address.port} is unreachable${lastError ? ` (${lastError})` : ''}; waiting for it (retrying every ${REDIS_RECONNECT_MAX_MS / 1000} s at most)`);
  });
  redis.on('ready', () => {
    if (!away) return;
    away = false;
    lastError = '';
    log(`redis ${address.host}:${address.port} is back; resuming`);
  });
}
