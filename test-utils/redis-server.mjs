/**
 * A throwaway Redis for queue tests and benchmarks: Debian's `redis-server` (CI installs it,
 * see `.ci/run`) on a free loopback port, in its own temporary folder, with
 * persistence off. `restart()` stops it the way a managed Redis restarts
 * (saving its data first) and starts it again on the same port. Plain
 * JavaScript (types in redis-server.d.mts): the benchmarks use it too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const READY_TIMEOUT_MS = 10_000;
/** What to install, said wherever redis-server is missing. */
export const REDIS_SERVER_PACKAGE = "Debian's redis-server package (apt-get install redis-server; or set REDIS_SERVER to its path)";

/**
 * Why redis-server cannot run here (`<command>: <error>`), or `undefined` when
 * `redis-server --version` runs.
 *
 * @returns {Promise<string | undefined>}
 */
export function redisServerMissing() {
  return new Promise((resolve) => {
    const child = spawn(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
    child.once('error', (e) => resolve(`${REDIS_SERVER}: ${e.message}`));
    child.once('exit', (code) => resolve(code === 0 ? undefined : `${REDIS_SERVER} --version exited with code ${code}`));
  });
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<string>} */
function command(port, text) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.once('error', reject);
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0]);
      }
    });
    // SHUTDOWN answers nothing: the connection just closes.
    socket.once('close', () => resolve(reply.split('\r\n')[0]));
    socket.write(`${text}\r\n`);
  });
}

const spawnErrors = new WeakMap();

async function untilReady(port, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const e = spawnErrors.get(child);
    if (e) throw new Error(`cannot start ${REDIS_SERVER} (${e.message}); install ${REDIS_SERVER_PACKAGE}`);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} before answering on port ${port}`);
    if ((await command(port, 'PING').catch(() => '')) === '+PONG') return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function launch(port, dir) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('error', (e) => spawnErrors.set(child, e));
  return child;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r(undefined)));
}

/**
 * Starts a Redis for one test file or benchmark; stop it when done.
 *
 * @returns {Promise<import('./redis-server.d.mts').TestRedis>}
 */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'seg-redis-'));
  const port = await freePort();
  let child = launch(port, dir);
  try {
    await untilReady(port, child);
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url: (queue) => `redis://127.0.0.1:${port}/${queue}`,
    command: (text) => command(port, text),
    async restart() {
      await command(port, 'SHUTDOWN SAVE');
      await exited(child);
      child = launch(port, dir);
      await untilReady(port, child);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
