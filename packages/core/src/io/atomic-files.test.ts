import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDirectoryAtomic, writeFileAtomic } from './atomic-files.js';

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
    expect(readdirSync(dir)).toEqual(['a.bin']);
    expect([...readFileSync(join(dir, 'a.bin'))]).toEqual([2, 3]);
    expect(readdirSync(root).filter((n) => n.startsWith('ckpt'))).toEqual(['ckpt']);
  });

  it('refuses names that would escape the directory', async () => {
    await expect(writeDirectoryAtomic(join(root, 'd'), { '../evil': 'x' })).rejects.toThrow(/"\.\.\/evil" is not a plain file name/);
    expect(readdirSync(root)).not.toContain('evil');
  });
});
