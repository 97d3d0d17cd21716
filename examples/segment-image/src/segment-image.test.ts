import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@seg/core';
import { deeplabV3Plus, saveModel } from '@seg/deeplab';
import { decodeImage, generateSyntheticMsrc, MSRC_CLASSES, readImageFile } from '@seg/msrc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentImage } from './segment-image.js';

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
    const mask = await decodeImage(new Uint8Array(readFileSync(r.mask)), r.mask);
    const palette = new Set(r.classes.map((c) => MSRC_CLASSES.find((k) => k.name === c.name)!.rgb.join(',')));
    for (let p = 0; p < mask.data.length; p += 3) expect(palette.has(`${mask.data[p]},${mask.data[p + 1]},${mask.data[p + 2]}`)).toBe(true);
    expect(r.classes.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 10);
  });

  it('names a missing model directory', async () => {
    await expect(segmentImage(imagePath, { model: join(dir, 'nope') })).rejects.toThrow(/nope/);
  });
});
