/**
 * `seg-deeplab submit` as users run it (the built bin: run `pnpm build`
 * first) while Redis is down: one line saying so, and an exit code, where
 * BullMQ used to print a stack trace per reconnection and wait forever.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../../../../test-utils/child-process.js';

const BIN = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'seg-submit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('seg-deeplab submit without Redis', () => {
  it('says in one line that Redis cannot be reached, queues nothing and exits with 2', async () => {
    if (!existsSync(fileURLToPath(new URL('../../dist/cli/program.js', import.meta.url)))) throw new Error('run `pnpm build` first (the command runs the built package)');
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in/a.png'), 'queued by name only: submit reads no image');
    const port = await closedPort();
    const s = spawnNode([BIN, 'submit', join(dir, 'model'), join(dir, 'in'), '--out', join(dir, 'out'), '--queue', `redis://127.0.0.1:${port}/q`]);
    expect(await s.exited).toBe(2);
    expect(s.stdout()).toBe('');
    expect(s.lines).toEqual([
      `seg-deeplab: cannot reach redis redis://127.0.0.1:${port}/q (connect ECONNREFUSED 127.0.0.1:${port}); is Redis running there? nothing was queued`,
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
