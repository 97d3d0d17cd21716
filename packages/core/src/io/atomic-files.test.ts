import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AtomicWriteStep,
  COMPLETE_MARKER,
  findAtomicDirectory,
  writeDirectoryAtomic,
  writeDirectoryAtomicSteps,
  writeFileAtomic,
} from './atomic-files.js';
import { writeError } from './node-files.js';

const root = mkdtempSync(join(tmpdir(), 'seg-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates parents, replaces content and leaves no temporary file', async () => {
    const file = join(root, 'a', 'b', 'x.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, new Uint8Array([116, 119, 111]));
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['x.json']);
  });

  it('keeps the old content when the write fails', async () => {
    const dirAsFile = join(root, 'blocked');
    mkdirSync(dirAsFile);
    writeFileSync(join(dirAsFile, 'keep'), 'x');
    await expect(writeFileAtomic(dirAsFile, 'new')).rejects.toThrow();
    expect(readdirSync(root).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(readFileSync(join(dirAsFile, 'keep'), 'utf8')).toBe('x');
  });
});

describe('writeDirectoryAtomic', () => {
  it('replaces a whole directory, removing files the new one lacks', async () => {
    const dir = join(root, 'ckpt');
    await writeDirectoryAtomic(dir, { 'a.bin': new Uint8Array([1]), 'old.txt': 'x' });
    await writeDirectoryAtomic(dir, { 'a.bin': new Uint8Array([2, 3]) });
    expect(readdirSync(dir).sort()).toEqual([COMPLETE_MARKER, 'a.bin']);
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([2, 3]);
    expect(readdirSync(root).filter((n) => n.startsWith('ckpt'))).toEqual(['ckpt']);
  });

  it('refuses names that would escape the directory', async () => {
    await expect(writeDirectoryAtomic(join(root, 'd'), { '../evil': 'x' })).rejects.toThrow(/"\.\.\/evil" is not a plain file name/);
    expect(readdirSync(root)).not.toContain('evil');
  });
});

describe('crash recovery of writeDirectoryAtomic', () => {
  const contents = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir)
        .filter((n) => n !== COMPLETE_MARKER)
        .map((n) => [n, readFileSync(join(dir, n), 'utf8')]),
    );
  const oldFiles = { 'a.txt': 'old a', 'b.txt': 'old b' };
  const newFiles = { 'a.txt': 'new a', 'b.txt': 'new b', 'c.txt': 'new c' };

  /** Runs the write up to `steps` steps and abandons it, as a SIGKILL at that point would. */
  async function crashAfter(dir: string, files: Record<string, string>, steps: number): Promise<AtomicWriteStep[]> {
    const done: AtomicWriteStep[] = [];
    const it = writeDirectoryAtomicSteps(dir, files);
    for (let i = 0; i < steps; i++) {
      const r = await it.next();
      if (r.done) break;
      done.push(r.value);
    }
    return done;
  }

  // 1 temp dir + 3 files + marker + old aside + new in place + old removed + leftovers removed.
  const STEPS = 9;
  for (let steps = 0; steps <= STEPS; steps++) {
    it(`recovers a complete copy after a crash after step ${steps} of replacing a directory`, async () => {
      const dir = join(mkdtempSync(join(root, 'crash-')), 'ckpt');
      await writeDirectoryAtomic(dir, oldFiles);
      const done = await crashAfter(dir, newFiles, steps);
      const found = await findAtomicDirectory(dir);
      expect(found).not.toBeNull();
      // The new content once its marker is on disk, the old content before.
      const expected = done.includes('wrote-marker') ? newFiles : oldFiles;
      expect(contents(found!)).toEqual(expected);
      // The next successful write leaves nothing but the directory.
      await writeDirectoryAtomic(dir, { 'z.txt': 'next' });
      expect(readdirSync(join(dir, '..'))).toEqual(['ckpt']);
      expect(await findAtomicDirectory(dir)).toBe(dir);
      expect(contents(dir)).toEqual({ 'z.txt': 'next' });
    });
  }

  it('finds nothing after a crash during the first write, before its marker', async () => {
    const dir = join(mkdtempSync(join(root, 'first-')), 'model');
    await crashAfter(dir, newFiles, 3);
    expect(await findAtomicDirectory(dir)).toBeNull();
    await crashAfter(dir, newFiles, 5);
    expect(contents((await findAtomicDirectory(dir))!)).toEqual(newFiles);
  });

  it('ignores planted stale .old-/.tmp- folders that sort after the complete copy, and removes them on the next write', async () => {
    const parent = mkdtempSync(join(root, 'stale-'));
    const dir = join(parent, 'checkpoint');
    await writeDirectoryAtomic(dir, oldFiles);
    // Names from the pid-first scheme sort after time stamps; an emptied folder must never win.
    mkdirSync(join(parent, 'checkpoint.old-99999-zzz'));
    mkdirSync(join(parent, 'checkpoint.tmp-99999-zzz'));
    writeFileSync(join(parent, 'checkpoint.tmp-99999-zzz', 'a.txt'), 'half');
    // A copy whose marker lists a file that was truncated is incomplete too.
    mkdirSync(join(parent, 'checkpoint.old-99999999T999999999Z'));
    writeFileSync(join(parent, 'checkpoint.old-99999999T999999999Z', 'a.txt'), 'x');
    writeFileSync(
      join(parent, 'checkpoint.old-99999999T999999999Z', COMPLETE_MARKER),
      JSON.stringify({ written: '99999999T999999999Z', files: { 'a.txt': 5 } }),
    );
    rmSync(dir, { recursive: true });
    expect(await findAtomicDirectory(dir)).toBeNull();
    await writeDirectoryAtomic(dir, newFiles);
    expect(readdirSync(parent)).toEqual(['checkpoint']);
    expect(contents(dir)).toEqual(newFiles);
  });

  it('removes temporary files a crash left beside a file', async () => {
    const parent = mkdtempSync(join(root, 'file-'));
    writeFileSync(join(parent, 'metrics.json.tmp-20260101T000000000Z-000001-1'), 'half');
    await writeFileAtomic(join(parent, 'metrics.json'), '{}');
    expect(readdirSync(parent)).toEqual(['metrics.json']);
  });
});

describe('a full or read-only disk', () => {
  it('is named with the path being written and what to do (a real ENOSPC from /dev/full)', async () => {
    const enospc = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect((enospc as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(writeError(enospc, '/runs/msrc/checkpoint/weights.safetensors').message).toBe(
      'cannot write /runs/msrc/checkpoint/weights.safetensors: the disk is full; free space there or choose another folder (ENOSPC)',
    );
  });

  it('makes writeFileAtomic and writeDirectoryAtomic name the file on a file system that fills up', () => {
    // A 64 KiB tmpfs in a mount namespace of its own (root, or unprivileged user namespaces, can make one).
    const script = fileURLToPath(new URL('./fixtures/write-to-full-disk.ts', import.meta.url));
    const mount = 'mkdir -p /tmp/seg-full-disk && mount -t tmpfs -o size=64k tmpfs /tmp/seg-full-disk';
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', `${mount} && "$0" --import tsx "$1" /tmp/seg-full-disk`, process.execPath, script], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const errors = r.stdout.trim().split('\n').map((l) => JSON.parse(l).error);
    expect(errors).toEqual([
      'cannot write /tmp/seg-full-disk/metrics.json: the disk is full; free space there or choose another folder (ENOSPC)',
      'cannot write /tmp/seg-full-disk/checkpoint/weights.safetensors: the disk is full; free space there or choose another folder (ENOSPC)',
    ]);
  });
});
