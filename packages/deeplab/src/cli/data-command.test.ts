/**
 * `seg-deeplab data check` on @seg/datasets' fixture copies: a broken VOC
 * copy has every planted problem printed with its file and exits 1; a good
 * one exits 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './program.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'datasets', 'fixtures');

/** Runs seg-deeplab with `argv`, capturing what it prints. */
async function cli(...argv: string[]) {
  const printed = { out: '', err: '' };
  const io = {
    out(t: string) {
      printed.out += t;
    },
    err(t: string) {
      printed.err += t;
    },
    progress: { isTTY: false, write() {} },
  };
  return { code: await runCli(argv, io), ...printed };
}

describe('seg-deeplab data check', () => {
  it('prints every problem of a broken copy with its file and exits 1', async () => {
    const root = join(FIXTURES, 'voc-broken');
    const planted: { kind: string; file: string }[] = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'))['voc-broken'].problems;
    const { code, out } = await cli('data', 'check', root, '--format', 'voc');
    expect(code).toBe(1);
    expect(out).toContain(`${planted.length} problem(s):`);
    for (const p of planted) expect(out).toMatch(new RegExp(`\\[${p.kind}\\] [^\\n]*${join(root, p.file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('exits 0 on a good copy, and prints JSON with --json', async () => {
    const good = await cli('data', 'check', join(FIXTURES, 'cityscapes'), '--format', 'cityscapes');
    expect([good.code, good.out]).toEqual([0, expect.stringContaining('no problems found')]);
    const json = await cli('data', 'check', join(FIXTURES, 'ade20k'), '--format', 'ade20k', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, format: 'ade20k', splitSizes: { training: 2, validation: 1 } });
  });

  it('names the valid formats', async () => {
    const { code, err } = await cli('data', 'check', FIXTURES, '--format', 'kitti');
    expect(code).toBe(1);
    expect(err).toMatch(/argument 'kitti' is invalid\. Allowed choices are voc, cityscapes, ade20k, coco-stuff, folder, msrc/);
  });
});
