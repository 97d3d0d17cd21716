/**
 * `seg-deeplab train` and `evaluate` on generated datasets (test-utils/
 * synthetic-datasets.ts): a VOC-layout copy whose classes show in their
 * colours, trained for a few dozen steps. The child-process cases run the
 * built command: `pnpm build` first.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfusionMatrix } from '@seg/core';
import { decodeIndexPng, openDataset } from '@seg/datasets';
import { VOC_CLASS_NAMES } from '@seg/datasets/classes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { spawnNode } from '../../../../test-utils/child-process.js';
import { writeSyntheticDataset } from './train/fixtures/synthetic-datasets.js';
import { getModelClasses } from '../classes/model-classes.js';
import { loadModel } from '../model/model-files.js';
import { fromTorchvision } from '../torchvision/from-torchvision.js';
import { capturedCli } from './captured-cli.js';
import { trainOptionsFrom, trainProgram } from './train-command.js';
import { trainOnDataset } from './train/train-on-dataset.js';

const BIN = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));

const cli = capturedCli;

/** Flags of a run that learns the synthetic classes in a few dozen steps on one CPU thread. */
const SMALL = ['--backbone', 'mobilenet_v3_large', '--outputStride', '16', '--cropSize', '48', '--batchSize', '4', '--optimizer', 'adam', '--lr', '0.003', '--schedule', 'constant', '--backend', 'wasm', '--workers', '1'];
/** A narrow DeepLabV3+ (no flags for it): MobileNetV3 at width 0.25, 32 ASPP and decoder channels; 0.5 M parameters. */
const NARROW = { widthMultiplier: 0.25, decoderChannels: 32 };

/** `seg-deeplab train <flags>` on the narrow model, in this process. */
async function train(flags: string[], lines: string[] = []) {
  const parsed = trainProgram().exitOverride().parse(flags, { from: 'user' }).opts();
  return trainOnDataset({ ...trainOptionsFrom(parsed), modelOptions: NARROW }, { log: (l) => lines.push(l), progress: false });
}

describe('seg-deeplab train', () => {
  let dir: string;
  let voc: string;
  const lines: string[] = [];

  beforeAll(async () => {
    await useBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'seg-train-cli-'));
    voc = join(dir, 'voc');
    await writeSyntheticDataset(voc, { layout: 'voc', trainImages: 16, width: 64, height: 48, seed: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help states every default: SGD with momentum 0.9, the poly schedule, the crop, the run length', async () => {
    const { out } = await cli('train', '--help');
    const help = out.replace(/\s+/g, ' ');
    for (const text of ['default: "sgd")', 'SGD momentum (default: 0.9)', 'default: "poly")', '(default: 513)', `(default: 30000, unless --epochs)`, 'default: "deeplabv3plus")', 'default: "ce")', 'default: "none")']) {
      expect(help).toContain(text);
    }
  });

  it('learns on a VOC-layout dataset: validation mIoU far above a constant prediction; the run folder is complete', { timeout: 600_000 }, async () => {
    const out = join(dir, 'run');
    const result = await train(['--data', voc, '--format', 'voc', '--out', out, '--iterations', '60', '--evalEvery', '30', ...SMALL, '--export', join(dir, 'model.onnx')], lines);
    expect(result.steps).toBe(60);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    // Chance here: every pixel background, whose mIoU is the background IoU over the three classes present.
    const data = await openDataset(voc, { format: 'voc' });
    const val = data.split('val');
    const constant = new ConfusionMatrix(21, { ignoreIndex: 255 });
    for (let i = 0; i < val.size; i++) {
      const { labels } = await val.get(i);
      constant.update(new Uint8Array(labels.length), labels);
    }
    const chance = constant.scores().meanIoU;
    expect(chance).toBeLessThan(0.34);
    expect(metrics.val.meanIoU).toBeGreaterThan(Math.max(0.6, 2 * chance));
    expect(Object.keys(metrics.val.perClassIoU).sort()).toEqual(['aeroplane', 'background', 'bus']);
    expect(metrics.val.pixelAccuracy).toBeGreaterThan(0.85);
    expect(readdirSync(out).sort()).toEqual(
      ['best-model', 'checkpoint', 'config.json', 'images', 'log.jsonl', 'metrics.json', 'model', 'report', 'report.html', 'run-outputs.json'],
    );
    // best-model/ and model/ name the dataset's classes in its colours.
    for (const folder of ['best-model', 'model']) {
      const model = await loadModel(join(out, folder));
      expect(getModelClasses(model)?.map((c) => c.name)).toEqual([...VOC_CLASS_NAMES]);
      expect(getModelClasses(model)?.[1].color).toEqual([...data.palette[1]]);
      model.dispose();
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<tr><th>aeroplane</th><td><span class="swatch" style="background: rgb(128, 0, 0)"></span></td>');
    expect(html).toContain('report/confusion.svg');
    expect(readdirSync(join(out, 'images'))).toEqual(expect.arrayContaining(['30_pred.png', '60_pred.png']));
    expect(lines.some((l) => l.startsWith('Iteration: 60, '))).toBe(true);
    expect(existsSync(join(dir, 'model.onnx'))).toBe(true);
  });

  it('--resume with a raised --iterations trains longer without a configuration mismatch', { timeout: 600_000 }, async () => {
    const out = join(dir, 'run');
    const resumed: string[] = [];
    await train(['--data', voc, '--format', 'voc', '--out', out, '--iterations', '62', '--evalEvery', '30', ...SMALL, '--resume'], resumed);
    expect(resumed).toContain(`resumed from ${join(out, 'checkpoint')} at iteration 60 (epoch 15, batch 0)`);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).steps).toBe(62);
  });

  it('evaluate: the per-class table and confusion matrix of the tfjs model and of its ONNX export agree with metrics.json', { timeout: 300_000 }, async () => {
    const metrics = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8'));
    const onnx = await cli('evaluate', join(dir, 'model.onnx'), '--data', voc, '--format', 'voc', '--out', join(dir, 'onnx-eval.json'));
    expect(onnx.code, onnx.err).toBe(0);
    expect(onnx.out).toMatch(/^class +IoU +precision +recall +F1 +pixels$/m);
    expect(onnx.out).toMatch(/^aeroplane +\d/m);
    expect(onnx.out).toContain('confusion matrix (rows: ground truth, columns: prediction; pixels)');
    const written = JSON.parse(readFileSync(join(dir, 'onnx-eval.json'), 'utf8'));
    expect(written.confusionMatrix.classes).toEqual([...VOC_CLASS_NAMES]);
    // The exported model is the one before the resumed 2 steps; the tfjs folder of the first run is gone, so score model/ too.
    const tfjs = await cli('evaluate', join(dir, 'run', 'model'), '--data', voc, '--format', 'voc', '--out', join(dir, 'tfjs-eval.json'));
    expect(tfjs.code, tfjs.err).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'tfjs-eval.json'), 'utf8'));
    expect(again.meanIoU).toBeCloseTo(metrics.val.meanIoU, 3);
    const total = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
    expect(total(written.confusionMatrix.counts)).toBe(total(again.confusionMatrix.counts));
  });

  it('--export: seg-deeplab segment on the ONNX file writes label PNGs carrying the dataset palette', { timeout: 300_000 }, async () => {
    const images = join(voc, 'VOCdevkit', 'VOC2012', 'JPEGImages');
    const masks = join(dir, 'masks');
    const run = spawnNode([BIN, 'segment', join(dir, 'model.onnx'), join(images, '2012_000016.jpg'), '--out', masks, '--workers', '1'], { timeoutMs: 120_000 });
    expect(await run.exited, run.lines.join('\n')).toBe(0);
    const written = readdirSync(masks, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png'));
    expect(written, run.lines.join('\n')).toHaveLength(1);
    const png = await decodeIndexPng(readFileSync(join(masks, written[0])), 'mask');
    const data = await openDataset(voc, { format: 'voc' });
    expect(png.palette?.slice(0, 21).map((c) => [...c])).toEqual(data.palette.map((c) => [...c]));
    expect(new Set(png.indices).size).toBeGreaterThan(1);
  });

  it.each([
    ['a class count other than the dataset\'s', ['--numClasses', '3'], /--numClasses 3: the voc dataset at .* has 21 classes \(background, aeroplane, .*\); the class count comes from the dataset/],
    ['a crop larger than every image', ['--cropSize', '400'], /--cropSize 400: larger than every image of the train split even scaled by 2 \(the largest shorter side is 48 px\).*pass --cropSize 96 or less/],
    ['--export to a folder that does not exist', ['--export', '/nonexistent/model.onnx'], /--export \/nonexistent\/model.onnx: the folder \/nonexistent does not exist/],
    ['an unknown split', ['--valSplit', 'test'], /test/],
  ])('refuses %s before the first step, writing nothing', async (_what, flags, message) => {
    const out = join(dir, `refused-${flags[0].slice(2)}`);
    const r = await cli('train', '--data', voc, '--format', 'voc', '--out', out, '--iterations', '2', ...SMALL, ...flags);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an empty split and weights of another architecture, naming them', async () => {
    const empty = join(dir, 'voc-empty');
    await writeSyntheticDataset(empty, { layout: 'voc', trainImages: 2, width: 64, height: 48, seed: 2 });
    writeFileSync(join(empty, 'VOCdevkit', 'VOC2012', 'ImageSets', 'Segmentation', 'val.txt'), '');
    const e = await cli('train', '--data', empty, '--format', 'voc', '--out', join(dir, 'r-empty'), ...SMALL);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--valSplit val: the split lists no images/);
    // ResNet-18 weights for a MobileNetV3 trunk.
    const resnet = fileURLToPath(new URL('../../../core/fixtures/torch-checkpoints/resnet18.pth', import.meta.url));
    const w = await cli('train', '--data', voc, '--format', 'voc', '--out', join(dir, 'r-weights'), ...SMALL, '--weights', resnet, '--iterations', '2');
    expect(w.code).toBe(2);
    expect(w.err).toContain(`--weights ${resnet}: `);
    expect(existsSync(join(dir, 'r-weights', 'checkpoint'))).toBe(false);
  });
});

describe('seg-deeplab train after SIGKILL', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seg-train-kill-'));
    await writeSyntheticDataset(join(dir, 'voc'), { layout: 'voc', trainImages: 8, width: 64, height: 48, seed: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--resume ends with the weights of an uninterrupted run, byte for byte', { timeout: 900_000 }, async () => {
    const child = fileURLToPath(new URL('../../../../test-utils/train-run-child.ts', import.meta.url));
    const args = (out: string) => ['--import', 'tsx', child, '--data', join(dir, 'voc'), '--format', 'voc', '--out', out, '--iterations', '6', '--evalEvery', '2', ...SMALL, '--optimizer', 'sgd', '--lr', '0.01', '--schedule', 'poly'];
    const env = { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../../../tsconfig.tests.json', import.meta.url)) };
    const straight = spawnNode(args(join(dir, 'straight')), { timeoutMs: 600_000, env });
    expect(await straight.exited, straight.lines.join('\n')).toBe(0);

    const killed = spawnNode(args(join(dir, 'killed')), { timeoutMs: 600_000, env });
    await killed.line(/^checkpoint @iteration 4 in /, 600_000);
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBe('SIGKILL');
    const resumed = spawnNode([...args(join(dir, 'killed')), '--resume'], { timeoutMs: 600_000, env });
    expect(await resumed.exited, resumed.lines.join('\n')).toBe(0);
    expect(resumed.stdout()).toMatch(/resumed from .* at iteration [46]/);
    const bytes = (out: string, file: string) => readFileSync(join(out, 'checkpoint', file));
    for (const file of ['weights.safetensors', 'optimizers.safetensors']) expect(bytes(join(dir, 'killed'), file).equals(bytes(join(dir, 'straight'), file)), file).toBe(true);
  });
});

describe('fine-tuning a torchvision checkpoint to new classes', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'seg-train-lraspp-'));
    await writeSyntheticDataset(join(dir, 'folder'), { layout: 'folder', trainImages: 8, width: 64, height: 48, seed: 4 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lraspp_mobilenet_v3_large from a 21-class .pth onto a 3-class folder dataset: the head is replaced, the trunk loaded, the run saved', { timeout: 600_000 }, async () => {
    // torchvision's own LR-ASPP at width 0.125 (scripts/fixtures/tiny_lraspp.py); the published file is the same at width 1.
    const pth = fileURLToPath(new URL('../../fixtures/torchvision/lraspp-w0125.pth', import.meta.url));
    const flags = trainProgram()
      .exitOverride()
      .parse(['--data', join(dir, 'folder'), '--format', 'folder', '--out', join(dir, 'run'), '--model', 'lraspp_mobilenet_v3_large', '--weights', pth,
        '--cropSize', '48', '--batchSize', '4', '--iterations', '2', '--evalEvery', '1', '--freezeTrunk', '2', '--backend', 'wasm', '--workers', '1'], { from: 'user' })
      .opts();
    const lines: string[] = [];
    const result = await trainOnDataset({ ...trainOptionsFrom(flags), modelOptions: { widthMultiplier: 0.125 } }, { log: (l) => lines.push(l), progress: false });
    expect(result.steps).toBe(2);
    expect(lines).toContain(`weights: the head of ${pth} predicts 21 classes; classifier.low_classifier.weight, classifier.low_classifier.bias, classifier.high_classifier.weight, classifier.high_classifier.bias start fresh for 3`);
    const model = await loadModel(join(dir, 'run', 'model'));
    expect(getModelClasses(model)?.map((c) => c.name)).toEqual(['background', 'red', 'blue']);
    // The trunk was frozen for the whole run, BatchNorm in inference mode: every trunk value (weights and running statistics) is the file's.
    const reference = await fromTorchvision('lraspp_mobilenet_v3_large', pth, { numClasses: 3, widthMultiplier: 0.125 });
    const trunkValues = (m: typeof model) => m.getLayer('backbone').getWeights().map((w) => w.dataSync());
    const [saved, fromFile] = [trunkValues(model), trunkValues(reference)];
    expect(saved.length).toBeGreaterThan(100);
    for (const [i, values] of saved.entries()) expect(values).toEqual(fromFile[i]);
    expect(model.outputs[0].shape.at(-1)).toBe(3);
    model.dispose();
    reference.dispose();
    expect(JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8')).val.perClassIoU).toBeTypeOf('object');
  });
});
