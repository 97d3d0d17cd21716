/** One class of the MSRC-21 label set. */
export interface MsrcClass {
  /** Class id used in label maps and model outputs (0..21). */
  id: number;
  name: string;
  /** Colour of the class in MSRC's `_GT.bmp` ground truth. */
  rgb: readonly [number, number, number];
}

/** Id of the void class: unlabelled pixels, and the dropped horse and mountain classes. */
export const MSRC_VOID = 21;

/**
 * The 21 object classes of MSRC-v2 as used in the literature (Shotton et al.),
 * followed by void. Colours are the dataset's ground-truth palette.
 */
export const MSRC_CLASSES: readonly MsrcClass[] = Object.freeze([
  { id: 0, name: 'building', rgb: [128, 0, 0] },
  { id: 1, name: 'grass', rgb: [0, 128, 0] },
  { id: 2, name: 'tree', rgb: [128, 128, 0] },
  { id: 3, name: 'cow', rgb: [0, 0, 128] },
  { id: 4, name: 'sheep', rgb: [0, 128, 128] },
  { id: 5, name: 'sky', rgb: [128, 128, 128] },
  { id: 6, name: 'aeroplane', rgb: [192, 0, 0] },
  { id: 7, name: 'water', rgb: [64, 128, 0] },
  { id: 8, name: 'face', rgb: [192, 128, 0] },
  { id: 9, name: 'car', rgb: [64, 0, 128] },
  { id: 10, name: 'bicycle', rgb: [192, 0, 128] },
  { id: 11, name: 'flower', rgb: [64, 128, 128] },
  { id: 12, name: 'sign', rgb: [192, 128, 128] },
  { id: 13, name: 'bird', rgb: [0, 64, 0] },
  { id: 14, name: 'book', rgb: [128, 64, 0] },
  { id: 15, name: 'chair', rgb: [0, 192, 0] },
  { id: 16, name: 'road', rgb: [128, 64, 128] },
  { id: 17, name: 'cat', rgb: [0, 192, 128] },
  { id: 18, name: 'dog', rgb: [128, 192, 128] },
  { id: 19, name: 'body', rgb: [64, 64, 0] },
  { id: 20, name: 'boat', rgb: [192, 64, 0] },
  { id: MSRC_VOID, name: 'void', rgb: [0, 0, 0] },
] as const satisfies readonly MsrcClass[]);

/** `MSRC_CLASSES` colours indexed by class id, for `colorize()`. */
export const MSRC_PALETTE: readonly (readonly [number, number, number])[] = Object.freeze(
  MSRC_CLASSES.map((c) => c.rgb),
);
