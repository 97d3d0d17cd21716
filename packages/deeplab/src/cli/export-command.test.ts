import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { saveModel } from '../model/model-files.js';
import { readOnnxHeader } from '../onnx/onnx-proto.js';
import { runCli } from './program.js';

const root = mkdtempSync(join(tmpdir(), 'seg-deeplab-cli-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let [out, err] = ['', ''];
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), progress: { isTTY: false, write: () => {} } });
  return { code, out, err };
}

describe('seg-deeplab export', () => {
  const saved = join(root, 'model');
  beforeAll(async () => {
    await useBackend('cpu');
    const model = deeplabV3Plus({ backbone: 'resnet18', numClasses: 4, lowLevelChannels: 4, decoderChannels: 8, backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] } });
    await saveModel(model, saved);
    model.dispose();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes an ONNX file ONNX Runtime loads, fp32 or --fp16, with the opset asked for', async () => {
    const out = join(root, 'out', 'model.onnx');
    const fp32 = await run('export', saved, '--out', out);
    expect(fp32).toMatchObject({ code: 0, err: '' });
    expect(fp32.out).toMatch(new RegExp(`^wrote ${out} \\([\\d.]+ MiB, opset 17\\) from ${saved}\\n$`));
    const header = readOnnxHeader(new Uint8Array(readFileSync(out)));
    expect([header.opset, header.metadata['seg.precision'], header.metadata['seg.num_classes']]).toEqual([17, 'fp32', '4']);
    const half = join(root, 'half.onnx');
    expect((await run('export', saved, '--out', half, '--fp16', '--opset', '18')).code).toBe(0);
    expect(readOnnxHeader(new Uint8Array(readFileSync(half))).metadata['seg.precision']).toBe('fp16');
    const session = await ort.InferenceSession.create(half);
    expect([session.inputNames, session.outputNames]).toEqual([['image'], ['logits']]);
    await session.release();
  });

  it('as a command (on the cpu backend) prints only what it wrote: no tfjs "install our node backend" banner', () => {
    const out = join(root, 'cli', 'model.onnx');
    const bin = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'export', saved, '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out} \\([\\d.]+ MiB, opset 17\\) from ${saved}\\n$`));
    expect(r.stderr).toBe('');
  });

  it('names a missing folder, a missing --out and a bad --opset, and writes nothing', async () => {
    const missing = await run('export', join(root, 'nope'), '--out', join(root, 'x.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(join(root, 'nope'));
    expect(existsSync(join(root, 'x.onnx'))).toBe(false);
    const noOut = await run('export', saved);
    expect(noOut.code).toBe(1);
    expect(noOut.err).toContain("required option '--out <file>' not specified");
    const opset = await run('export', saved, '--out', join(root, 'y.onnx'), '--opset', '12');
    expect(opset.code).toBe(1);
    expect(opset.err).toContain("option '--opset <n>' argument '12' is invalid. Allowed choices are 17, 18, 19, 20, 21.");
  });
});
