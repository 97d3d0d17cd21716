/**
 * Where a queued job may write, checked without Redis (queue.test.ts adds
 * such jobs to a real one): every way out of `<out>/<rel><suffix>` is
 * refused with its reason, and what `seg-deeplab submit` queues passes.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputPaths } from '../batch/outputs.js';
import { checkJobData, type SegmentJobData } from './job-data.js';
import { checkAllowedRoots, confineJobOutputs } from './job-outputs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seg-job-outputs-'));
const root = path.join(dir, 'shared');
const out = path.join(root, 'run');
mkdirSync(path.join(out, 'sub'), { recursive: true });
mkdirSync(path.join(dir, 'outside'));
symlinkSync(path.join(dir, 'outside'), path.join(out, 'away'));
symlinkSync(path.join(dir, 'outside'), path.join(root, 'run-link'));
symlinkSync(path.join(out, 'sub'), path.join(out, 'inner'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A job as `seg-deeplab submit` queues it, with `change` applied. */
function job(rel: string, change: Partial<SegmentJobData> = {}): SegmentJobData {
  const o = change.out ?? out;
  return checkJobData({ runId: 'r1', out: o, model: '/m', input: '/in/x.png', rel, outputs: outputPaths(o, rel, ['color', 'scores']), settings: {}, ...change }, 'j1');
}

const confine = (data: SegmentJobData, allow = [root]) => confineJobOutputs(data, allow, 'j1');

describe('confineJobOutputs', () => {
  it("accepts what submit queues, in folders not yet created and through links that stay inside the run's folder", async () => {
    await expect(confine(job('a.png'))).resolves.toBeUndefined();
    await expect(confine(job('new/deeper/a.png'))).resolves.toBeUndefined();
    await expect(confine(job('inner/a.png'))).resolves.toBeUndefined();
    await expect(confine(job('a.png', { out: path.join(root, 'not-yet') }))).resolves.toBeUndefined();
  });

  const refusals: [string, SegmentJobData, string][] = [
    ['a labels path elsewhere', job('a.png', { outputs: { labels: path.join(dir, 'outside/model.json') } }), `outputs.labels is "${path.join(dir, 'outside/model.json')}", not ${out}/a.png.png`],
    ['a relative labels path', job('a.png', { outputs: { labels: '../../x.png' } }), 'outputs.labels is "../../x.png"'],
    ['another kind of output elsewhere', job('a.png', { outputs: { labels: `${out}/a.png.png`, color: '/tmp/x.color.png' } }), 'outputs.color is "/tmp/x.color.png"'],
    ['an unknown output kind', job('a.png', { outputs: { labels: `${out}/a.png.png`, model: `${out}/a.png.json` } as never }), 'outputs.model is not an output kind; expected labels, color, overlay, scores'],
    ['a relative out', job('a.png', { out: 'run' }), 'its output folder out="run" is not an absolute, normalised path'],
    ['an out with ..', job('a.png', { out: `${root}/run/../..` }), `its output folder out="${root}/run/../.." is not an absolute, normalised path`],
    ['an out outside the allowed roots', job('a.png', { out: path.join(dir, 'outside') }), `its output folder ${path.join(dir, 'outside')} is outside the worker's allowed roots (--allow ${root})`],
    ['an out beside the allowed root sharing its prefix', job('a.png', { out: `${root}-2` }), `its output folder ${root}-2 is outside the worker's allowed roots`],
    ['a rel that climbs out', job('../../x', { outputs: { labels: `${out}/../../x.png` } }), 'its image path rel="../../x" is not a relative path below the output folder'],
    ['an absolute rel', job('/etc/x', { outputs: { labels: `${out}/etc/x.png` } }), 'its image path rel="/etc/x" is not a relative path'],
    ['a folder of the run linked outside', job('away/a.png'), `outputs.labels's folder ${out}/away leads to ${path.join(dir, 'outside')} on disk (a symbolic link), outside the output folder ${out}`],
    ['an out linked outside the allowed roots', job('a.png', { out: path.join(root, 'run-link') }), `its output folder ${root}/run-link leads to ${path.join(dir, 'outside')} on disk (a symbolic link), outside the allowed roots`],
  ];
  for (const [what, data, reason] of refusals) {
    it(`refuses ${what}`, async () => {
      await expect(confine(data)).rejects.toMatchObject({ name: 'JobRefusedError', message: expect.stringContaining(`job j1 of run r1: ${reason}`) });
    });
  }

  it('refuses malformed job data by name', () => {
    expect(() => checkJobData({ ...job('a.png'), out: undefined }, 'j1')).toThrow('job j1: data.out must be a non-empty string, got undefined');
    expect(() => checkJobData({ ...job('a.png'), outputs: { color: '/x' } }, 'j1')).toThrow('job j1: data.outputs must map output kinds to paths, with labels');
  });
});

describe('checkAllowedRoots', () => {
  it('needs at least one absolute root', () => {
    expect(() => checkAllowedRoots('w', undefined)).toThrow('w: no folder is allowed for outputs; name the folders runs may write to (--allow <root>, options.allow)');
    expect(() => checkAllowedRoots('w', [])).toThrow('w: no folder is allowed for outputs');
    expect(() => checkAllowedRoots('w', ['/a', 'b'])).toThrow('w: allowed root 1 is "b"; expected an absolute folder path');
    expect(checkAllowedRoots('w', ['/a/b/../c/'])).toEqual(['/a/c']);
  });
});
