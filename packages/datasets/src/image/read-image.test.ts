/**
 * Truncated images are refused by name: a real JPEG and PNG (noisy pixels,
 * so that their data spans many bytes) cut short, generated here with
 * `@napi-rs/image`, the decoder images are read with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transformer } from '@napi-rs/image';
import { SeededRng } from '@seg/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPixels } from './decode.js';
import { ImageFileError } from './image-file-error.js';
import { imageTruncation } from './jpeg-truncation.js';

const WIDTH = 96;
const HEIGHT = 64;

describe('readPixels on truncated files', () => {
  let dir: string;
  let jpeg: Uint8Array;
  let png: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seg-truncated-'));
    const rng = new SeededRng(7);
    const rgba = new Uint8Array(WIDTH * HEIGHT * 4).map((_, i) => (i % 4 === 3 ? 255 : rng.int(256)));
    const image = Transformer.fromRgbaPixels(rgba, WIDTH, HEIGHT);
    jpeg = await image.jpeg(90);
    png = await image.png();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Uint8Array) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  it('reads the whole files, and a JPEG with bytes after its end marker (a camera trailer)', async () => {
    for (const file of [write('whole.jpg', jpeg), write('whole.png', png), write('trailer.jpg', Buffer.concat([jpeg, Buffer.from('trailer')]))]) {
      const image = await readPixels(file, { keepAlpha: true });
      expect([image.width, image.height, image.data.length]).toEqual([WIDTH, HEIGHT, WIDTH * HEIGHT * image.channels]);
    }
  });

  it('refuses a JPEG cut in half with an ImageFileError naming the file and the cut (the decoder alone fills in pixels)', async () => {
    const half = jpeg.subarray(0, jpeg.length >> 1);
    // The reason this check exists: the decoder returns a whole image for half a file.
    expect((await new Transformer(half).rawPixels()).length).toBe(WIDTH * HEIGHT * 3);
    const file = write('half.jpg', half);
    const error = await readPixels(file, { keepAlpha: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ImageFileError);
    expect((error as Error).message).toBe(
      `${file}: the JPEG data ends at byte ${half.length} inside the image data, before its end-of-image marker: the file is truncated`,
    );
  });

  it('refuses a PNG cut in half with an ImageFileError naming the file', async () => {
    const file = write('half.png', png.subarray(0, png.length >> 1));
    await expect(readPixels(file, { keepAlpha: true })).rejects.toThrow(new ImageFileError(file, 'not a decodable image (Decode image failed unexpected end of file); expected PNG, JPEG, BMP, TIFF or WebP'));
  });

  it('finds every cut of a JPEG, at any byte, and none in the whole file', () => {
    expect(imageTruncation(jpeg)).toBeUndefined();
    const cuts = [3, 4, 20, 100, jpeg.length - 2, jpeg.length - 1];
    for (let n = 1; n < 64; n++) cuts.push(Math.floor((jpeg.length * n) / 64));
    for (const cut of cuts) expect(imageTruncation(jpeg.subarray(0, cut)), `cut at ${cut} of ${jpeg.length}`).toMatch(/^the JPEG data ends at byte \d+ .*: the file is truncated$/);
    // Other formats are left to the decoder, which refuses them cut short (above).
    expect(imageTruncation(png.subarray(0, png.length >> 1))).toBeUndefined();
  });
});
