import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockRunFolder, processStartTime, RUN_LOCK_FILE, RunLockedError } from './run-lock.js';

const root = mkdtempSync(join(tmpdir(), 'seg-run-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `run${n++}`);

/** The pid of a process that has exited: a crashed run's. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('run lock', () => {
  it('holds the folder with pid and host, refuses a second run naming the holder, and releases', async () => {
    const dir = fresh();
    const lock = await lockRunFolder(dir);
    const content = JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8'));
    expect(content).toMatchObject({ pid: process.pid, host: hostname() });
    const error = await lockRunFolder(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(RunLockedError);
    expect((error as Error).message).toContain(`${join(dir, RUN_LOCK_FILE)}: the folder is in use by process ${process.pid} on ${hostname()}`);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
    await (await lockRunFolder(dir)).release();
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dir = fresh();
    const first = await lockRunFolder(dir);
    const pid = deadPid();
    writeFileSync(first.file, JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z', command: 'killed run' }));
    const stale: number[] = [];
    const lock = await lockRunFolder(dir, (h) => stale.push(h.pid));
    expect(stale).toEqual([pid]);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('refuses a lock from another host, whose process cannot be checked, and an unreadable one', async () => {
    const dir = fresh();
    const lock = await lockRunFolder(dir);
    writeFileSync(lock.file, JSON.stringify({ pid: deadPid(), host: 'elsewhere', started: 'then', command: 'train-msrc' }));
    await expect(lockRunFolder(dir)).rejects.toThrow(/in use by process \d+ on elsewhere since then \(train-msrc\).*delete the lock file/);
    writeFileSync(lock.file, 'garbage');
    await expect(lockRunFolder(dir)).rejects.toThrow(/locked by a run whose lock file cannot be read/);
    // release() leaves a lock that is no longer its own.
    await lock.release();
    expect(readFileSync(lock.file, 'utf8')).toBe('garbage');
  });

  it('records when its process started, and takes over a lock whose pid now belongs to another program', async () => {
    const dir = fresh();
    const first = await lockRunFolder(dir);
    const mine = JSON.parse(readFileSync(first.file, 'utf8'));
    expect(mine.processStart).toBe(await processStartTime(process.pid));
    expect(mine.processStart).toMatch(/^linux:[0-9a-f-]+:\d+$/);
    // A live process holding the pid the lock names, but started at another time than the run that wrote it.
    const other = spawn('sleep', ['30']);
    try {
      const live = { pid: other.pid!, host: hostname(), started: '2026-01-01T00:00:00.000Z', command: 'an old run' };
      writeFileSync(first.file, JSON.stringify({ ...live, processStart: await processStartTime(other.pid!) }));
      await expect(lockRunFolder(dir)).rejects.toThrow(`in use by process ${other.pid}`);
      writeFileSync(first.file, JSON.stringify({ ...live, processStart: 'linux:another-boot:12345' }));
      const stale: number[] = [];
      const lock = await lockRunFolder(dir, (h) => stale.push(h.pid));
      expect(stale).toEqual([other.pid]);
      await lock.release();
    } finally {
      other.kill();
    }
  });
});

