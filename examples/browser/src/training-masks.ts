/**
 * Masks for fine-tuning in the page: which dropped files are images and
 * which their masks, and a mask's class ids. A mask is named after its image
 * with `_GT` (MSRC's convention) or `_mask` before the extension; it is an
 * index PNG (grey values are class ids, 255 is "not labelled") or a colour
 * PNG in the page's legend. Browsers decode a palette PNG to its colours, so
 * grey values are the only indices a page can read back.
 */

/** An image and the mask that labels it, by file name. */
export interface MaskPair<F> {
  image: F;
  mask: F;
}

const MASK_NAME = /^(.*)_(gt|mask)\.[^.]+$/i;
const stem = (name: string) => name.replace(/\.[^.]+$/, '');

/**
 * Pairs each image with its mask by name (`cow.jpg` with `cow_GT.png` or
 * `cow_mask.png`).
 *
 * @throws Naming every image without a mask and every mask without an image.
 */
export function pairImagesAndMasks<F extends { name: string }>(files: readonly F[]): MaskPair<F>[] {
  const masks = new Map<string, F>();
  const images: F[] = [];
  for (const f of files) {
    const m = MASK_NAME.exec(f.name);
    if (m) masks.set(m[1], f);
    else images.push(f);
  }
  const pairs: MaskPair<F>[] = [];
  const unpaired: string[] = [];
  for (const image of images) {
    const mask = masks.get(stem(image.name));
    if (mask) {
      pairs.push({ image, mask });
      masks.delete(stem(image.name));
    } else {
      unpaired.push(`${image.name} has no mask (name it ${stem(image.name)}_GT.png or ${stem(image.name)}_mask.png)`);
    }
  }
  for (const mask of masks.values()) unpaired.push(`${mask.name} has no image (an image named ${MASK_NAME.exec(mask.name)![1]}.<ext>)`);
  if (unpaired.length > 0) throw new Error(`fine-tuning needs each image with its mask: ${unpaired.join('; ')}`);
  return pairs;
}

/** How a mask's pixels map to class ids. */
export interface MaskClasses {
  /** Class colours by id (the page's legend). */
  palette: readonly (readonly [number, number, number])[];
  /** More colours with their ids (MSRC's dropped horse and mountain, which are void). Default none. */
  extraColors?: ReadonlyMap<readonly [number, number, number], number>;
  /** The id written for unlabelled pixels (index 255, or the void colour): the loss ignores it. */
  ignore: number;
}

const pack = (r: number, g: number, b: number) => (r << 16) | (g << 8) | b;

/**
 * The class ids of a mask decoded to RGBA (a canvas's `ImageData`): an index
 * mask when every pixel is grey with a value below the class count or 255
 * (which becomes `classes.ignore`), otherwise a colour mask in
 * `classes.palette`.
 *
 * @throws On a colour outside the palette, naming the file, the colour and its first pixel.
 */
export function labelsFromMask(rgba: ArrayLike<number>, width: number, height: number, classes: MaskClasses, source: string): Uint8Array {
  const pixels = width * height;
  if (rgba.length !== pixels * 4) throw new Error(`${source}: ${rgba.length} RGBA bytes do not make a ${width}×${height} image`);
  const labels = new Uint8Array(pixels);
  const count = classes.palette.length;
  let index = true;
  for (let p = 0; p < pixels && index; p++) {
    const v = rgba[4 * p];
    index = v === rgba[4 * p + 1] && v === rgba[4 * p + 2] && (v < count || v === 255);
    labels[p] = v === 255 ? classes.ignore : v;
  }
  if (index) return labels;
  const ids = new Map<number, number>(classes.palette.map((rgb, id) => [pack(...rgb), id]));
  for (const [rgb, id] of classes.extraColors ?? []) ids.set(pack(...rgb), id);
  for (let p = 0; p < pixels; p++) {
    const id = ids.get(pack(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]));
    if (id === undefined) {
      throw new Error(
        `${source}: colour [${rgba[4 * p]}, ${rgba[4 * p + 1]}, ${rgba[4 * p + 2]}] at pixel (${p % width}, ${Math.floor(p / width)}) is no class of the legend; ` +
          `a mask is a colour PNG in the legend's colours, or a grey index PNG whose values are class ids (0–${count - 1}, 255 for unlabelled)`,
      );
    }
    labels[p] = id;
  }
  return labels;
}
