import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, selectBackend } from '@seg/core';
import { deeplabV3Plus, fromTorchvision, VOC_CLASSES, VOC_PALETTE } from '@seg/deeplab';
import { decodeImage, generateSyntheticMsrc, MSRC_CLASSES, readImageFile } from '@seg/msrc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formulaStateDict } from '../../../test-utils/formula-weights.js';
import { segmentImage } from './segment-image.js';

/** Every pixel of a mask PNG carries one of `colours`. */
async function maskColours(path: string): Promise<Set<string>> {
  const mask = await decodeImage(new Uint8Array(readFileSync(path)), path);
  const seen = new Set<string>();
  for (let p = 0; p < mask.data.length; p += 3) seen.add(`${mask.data[p]},${mask.data[p + 1]},${mask.data[p + 2]}`);
  return seen;
}

describe('segmentImage', () => {
  let dir: string;
  let imagePath: string;
  beforeAll(async () => {
    await selectBackend(['wasm']);
    dir = mkdtempSync(join(tmpdir(), 'seg-segment-image-'));
    const data = await generateSyntheticMsrc(join(dir, 'data'), { count: 2, seed: 1, width: 67, height: 45 });
    imagePath = join(data.root, 'Images', `${data.ids[0]}.bmp`);
    const model = deeplabV3Plus({ numClasses: MSRC_CLASSES.length, backbone: 'resnet18', backboneOptions: { baseWidth: 8 }, decoderChannels: 16 });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a mask and an overlay of the image size and reports class shares', async () => {
    const r = await segmentImage(imagePath, { model: join(dir, 'model'), out: join(dir, 'out'), flip: true });
    const { width, height } = await readImageFile(imagePath);
    expect([r.width, r.height]).toEqual([width, height]);
    for (const file of [r.mask, r.overlay]) {
      const png = await readImageFile(file);
      expect([png.width, png.height]).toEqual([width, height]);
    }
    // Every pixel of the mask carries a palette colour of a predicted class.
    const palette = new Set(r.classes.map((c) => MSRC_CLASSES.find((k) => k.name === c.name)!.rgb.join(',')));
    expect([...(await maskColours(r.mask))].every((c) => palette.has(c))).toBe(true);
    expect(r.classes.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 10);
  });

  it('segments with a torchvision model and its weights file, in the VOC classes and colours', async () => {
    // Full-size deeplabv3_mobilenet_v3_large weights in torchvision's layout (the formula of scripts/fixtures/formula_weights.py).
    const layout = JSON.parse(readFileSync(new URL('../../../packages/deeplab/fixtures/torchvision/state-dicts.json', import.meta.url), 'utf8'));
    const weights = join(dir, 'deeplabv3_mobilenet_v3_large.safetensors');
    writeFileSync(weights, formulaStateDict(layout.deeplabv3_mobilenet_v3_large.test));
    const r = await segmentImage(imagePath, { torchvision: 'deeplabv3_mobilenet_v3_large', weights, out: join(dir, 'voc') });
    expect(r.classes.every((c) => VOC_CLASSES.includes(c.name))).toBe(true);
    const palette = new Set(r.classes.map((c) => VOC_PALETTE[VOC_CLASSES.indexOf(c.name)].join(',')));
    expect([...(await maskColours(r.mask))].every((c) => palette.has(c))).toBe(true);
    // A saved copy keeps its VOC classes.
    const model = await fromTorchvision('deeplabv3_mobilenet_v3_large', weights);
    await saveModel(model, join(dir, 'voc-model'));
    model.dispose();
    const saved = await segmentImage(imagePath, { model: join(dir, 'voc-model'), out: join(dir, 'voc-saved') });
    expect(saved.classes).toEqual(r.classes);
    await expect(segmentImage(imagePath, { torchvision: 'deeplabv3_mobilenet_v3_large' })).rejects.toThrow(/needs --weights/);
    await expect(segmentImage(imagePath, { model: join(dir, 'model'), torchvision: 'lraspp_mobilenet_v3_large', weights })).rejects.toThrow(
      /either a saved model directory \(--model\) or a torchvision model name/,
    );
  });

  it('names a missing model directory', async () => {
    await expect(segmentImage(imagePath, { model: join(dir, 'nope') })).rejects.toThrow(/nope/);
  });
});
