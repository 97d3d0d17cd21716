/**
 * Suites that need a real Redis: Debian's redis-server is a system package a
 * fresh machine lacks, so without it they are skipped with one line naming
 * the package, as the webgpu suites are without an adapter.
 * `SEG_TEST_REDIS=1` (set by `.ci/run`) makes a missing redis-server an
 * error instead, so CI cannot silently drop the queue tests.
 */
import { describe } from 'vitest';
import { REDIS_SERVER_PACKAGE, redisServerMissing } from './redis-server.mjs';

const missing = await redisServerMissing();
if (missing && process.env.SEG_TEST_REDIS === '1') {
  throw new Error(`SEG_TEST_REDIS=1 but redis-server cannot run (${missing}); install ${REDIS_SERVER_PACKAGE}`);
}

/** `describe(title, body)` where redis-server runs; else the suite is skipped, saying why in one line. */
export function describeWithRedis(title: string, body: () => void): void {
  if (missing) {
    console.warn(`skipped "${title}": redis-server cannot run (${missing}); install ${REDIS_SERVER_PACKAGE}, or set SEG_TEST_REDIS=1 to make this an error`);
    describe.skip(title, body);
  } else {
    describe(title, body);
  }
}
