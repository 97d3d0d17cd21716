import { type RgbImage, SeededRng } from '@seg/core';
import { MSRC_CLASSES, MSRC_DROPPED_COLORS, MSRC_VOID } from '@seg/datasets/classes';

/** Scene id of mountain: drawn and colour-coded like the real data, labelled void. */
const MOUNTAIN = 100;

/** Background classes above the horizon, with weights: sky, building, tree, mountain. */
const TOP: readonly [number, number][] = [
  [5, 5],
  [0, 2],
  [2, 1],
  [MOUNTAIN, 1],
];
/** Background classes below the horizon: grass, road, water. */
const BOTTOM: readonly [number, number][] = [
  [1, 4],
  [16, 2],
  [7, 2],
];
/** Object classes and where they sit: cow, sheep, car, sign, face, flower, boat (ground); aeroplane, bird (sky). */
const GROUND_OBJECTS = [3, 4, 9, 12, 8, 11, 20] as const;
const SKY_OBJECTS = [6, 13] as const;

/** Class ids that synthetic scenes contain (void aside). */
export const SYNTHETIC_MSRC_CLASS_IDS: readonly number[] = Object.freeze(
  [...new Set([...TOP.map(([c]) => c), ...BOTTOM.map(([c]) => c), ...GROUND_OBJECTS, ...SKY_OBJECTS])]
    .filter((c) => c !== MOUNTAIN)
    .sort((a, b) => a - b),
);

type Shape = { kind: 'ellipse' | 'rect' | 'boat'; cls: number; cx: number; cy: number; rx: number; ry: number };

function weighted(rng: SeededRng, table: readonly [number, number][]): number {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let r = rng.uniform(0, total);
  for (const [c, w] of table) {
    r -= w;
    if (r < 0) return c;
  }
  return table[table.length - 1][0];
}

function inside(s: Shape, x: number, y: number): boolean {
  const dx = (x - s.cx) / s.rx;
  const dy = (y - s.cy) / s.ry;
  if (s.kind === 'ellipse') return dx * dx + dy * dy <= 1;
  if (s.kind === 'rect') return Math.abs(dx) <= 1 && Math.abs(dy) <= 1;
  // A hull: a trapezoid wider at the top.
  return dy >= -1 && dy <= 1 && Math.abs(dx) <= 0.6 + 0.4 * (1 - dy) * 0.5 + (dy < 0 ? 0.2 : 0);
}

/**
 * The colour of class `cls` at (x, y): each class has its own base colour and
 * texture (bricks, ripples, spots, stripes...), the same in every image up to
 * a per-image phase, so colour and texture statistics identify the class.
 */
function appearance(cls: number, x: number, y: number, h: number, ph: number, out: number[]): void {
  let r: number;
  let g: number;
  let b: number;
  switch (cls) {
    case 0: {
      const row = Math.floor(y / 8);
      const mortar = y % 8 < 1.2 || (x + (row % 2) * 6 + ph * 4) % 12 < 1.2;
      r = mortar ? 205 : 150;
      g = mortar ? 195 : 72;
      b = mortar ? 180 : 58;
      break;
    }
    case 1: {
      const t = 28 * Math.sin(x * 1.3 + 3 * Math.sin(y * 0.21 + ph));
      r = 62 + t * 0.3;
      g = 150 + t;
      b = 48;
      break;
    }
    case 2: {
      const t = 32 * Math.sin(x * 0.35 + ph) * Math.sin(y * 0.41 - ph);
      r = 42 + t * 0.3;
      g = 92 + t;
      b = 34;
      break;
    }
    case 5: {
      const t = y / h;
      r = 112 + 70 * t;
      g = 160 + 50 * t;
      b = 236;
      break;
    }
    case 7: {
      const t = 32 * Math.sin(y * 0.9 + 2 * Math.sin(x * 0.1 + ph));
      r = 38;
      g = 88 + t * 0.5;
      b = 170 + t;
      break;
    }
    case 16: {
      const t = ((Math.sin(x * 12.9898 + y * 78.233) * 43758.5453) % 1) * 22;
      r = 92 + t;
      g = 92 + t;
      b = 98 + t;
      break;
    }
    case MOUNTAIN: {
      const t = 20 * Math.sin((x + y) * 0.25 + ph);
      r = 122 + t;
      g = 110 + t;
      b = 100 + t;
      break;
    }
    case 3: {
      const spot = Math.sin(x * 0.22 + ph) * Math.sin(y * 0.27 + ph) > 0.25;
      r = spot ? 35 : 232;
      g = spot ? 30 : 228;
      b = spot ? 28 : 220;
      break;
    }
    case 4: {
      const t = 18 * Math.sin(x * 1.1 + ph) * Math.sin(y * 1.1);
      r = 214 + t;
      g = 208 + t;
      b = 186 + t;
      break;
    }
    case 9: {
      const t = 25 * Math.sin(y * 0.15 + ph);
      r = 205 + t;
      g = 28;
      b = 40;
      break;
    }
    case 6: {
      const stripe = Math.sin(y * 0.5 + ph) > 0 ? 12 : -12;
      r = 198 + stripe;
      g = 204 + stripe;
      b = 216 + stripe;
      break;
    }
    case 20: {
      const stripe = Math.floor((x + y + ph * 10) / 5) % 2 === 0;
      r = stripe ? 242 : 232;
      g = stripe ? 240 : 118;
      b = stripe ? 236 : 28;
      break;
    }
    case 12: {
      const check = (Math.floor(x / 6) + Math.floor(y / 6)) % 2 === 0;
      r = check ? 244 : 22;
      g = check ? 212 : 22;
      b = check ? 26 : 24;
      break;
    }
    case 8: {
      const t = 12 * Math.sin(x * 0.08 + ph);
      r = 226 + t;
      g = 182 + t;
      b = 150 + t;
      break;
    }
    case 11: {
      const t = 40 * Math.sin(Math.hypot(x % 16 - 8, y % 16 - 8) * 0.9 + ph);
      r = 228 + t * 0.2;
      g = 62 + t;
      b = 172;
      break;
    }
    case 13: {
      const t = 30 * Math.sin((x - y) * 0.8 + ph);
      r = 118 + t;
      g = 80 + t * 0.6;
      b = 42;
      break;
    }
    default:
      throw new Error(`synthetic MSRC: no appearance for class ${cls}`);
  }
  out[0] = r;
  out[1] = g;
  out[2] = b;
}

/** One rendered synthetic scene: the image, its scene-class map and void masks. */
export interface SyntheticScene {
  image: RgbImage;
  /** Per-pixel scene class: MSRC ids, or 100 for mountain (void in labels, mountain colour in ground truth). */
  classes: Uint8Array;
}

/** Renders scene `index` of a synthetic dataset with `seed`, at `width`×`height`. */
export function renderScene(seed: number, index: number, width: number, height: number): SyntheticScene {
  const rng = SeededRng.derive(seed, 7, index);
  const top = weighted(rng, TOP);
  const bottom = weighted(rng, BOTTOM);
  const horizon = height * rng.uniform(0.3, 0.6);
  const waveAmp = rng.uniform(0, height * 0.06);
  const wavePeriod = rng.uniform(0.5, 2) * width;
  const wavePhase = rng.uniform(0, 2 * Math.PI);
  const shapes: Shape[] = [];
  const count = 1 + rng.int(3);
  const scale = Math.min(width, height);
  for (let k = 0; k < count; k++) {
    const sky = rng.bool(0.25);
    const cls = sky ? SKY_OBJECTS[rng.int(SKY_OBJECTS.length)] : GROUND_OBJECTS[rng.int(GROUND_OBJECTS.length)];
    const rx = scale * rng.uniform(0.1, 0.25) * (cls === 6 ? 1.6 : 1);
    const ry = cls === 6 ? rx * 0.3 : cls === 12 ? rx * 1.2 : rx * rng.uniform(0.55, 0.9);
    const cx = rng.uniform(0.15, 0.85) * width;
    const cy = sky ? rng.uniform(0.1, 0.35) * height : rng.uniform(horizon / height + 0.05, 0.85) * height;
    const kind = cls === 9 || cls === 12 ? 'rect' : cls === 20 ? 'boat' : 'ellipse';
    shapes.push({ kind, cls, cx, cy, rx, ry });
  }
  const phases = new Map<number, number>();
  const phaseOf = (c: number) => {
    let p = phases.get(c);
    if (p === undefined) {
      p = rng.uniform(0, 2 * Math.PI);
      phases.set(c, p);
    }
    return p;
  };
  const light = rng.uniform(0.85, 1.15);
  const data = new Uint8Array(width * height * 3);
  const classes = new Uint8Array(width * height);
  const rgb = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let cls = y < horizon + waveAmp * Math.sin((2 * Math.PI * x) / wavePeriod + wavePhase) ? top : bottom;
      for (const s of shapes) if (inside(s, x, y)) cls = s.cls;
      const p = y * width + x;
      classes[p] = cls;
      appearance(cls, x, y, height, phaseOf(cls), rgb);
      for (let c = 0; c < 3; c++) {
        const v = rgb[c] * light + (rng.next() - 0.5) * 12;
        data[p * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
  return { image: { data, width, height }, classes };
}

/**
 * Colour-coded ground truth and labels for a scene: pixels within `border`
 * pixels of a class boundary are void, like the hand-drawn MSRC annotations
 * that leave object outlines unlabelled.
 */
export function sceneGroundTruth(
  scene: SyntheticScene,
  border: number,
): { groundTruth: RgbImage; labels: Uint8Array } {
  const { width, height } = scene.image;
  const cls = scene.classes;
  const edge = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width && cls[p] !== cls[p + 1]) edge[p] = edge[p + 1] = 1;
      if (y + 1 < height && cls[p] !== cls[p + width]) edge[p] = edge[p + width] = 1;
    }
  }
  const voided = dilate(edge, width, height, border);
  const data = new Uint8Array(width * height * 3);
  const labels = new Uint8Array(width * height);
  const mountain = MSRC_DROPPED_COLORS.mountain;
  for (let p = 0; p < labels.length; p++) {
    const c = cls[p];
    const isVoid = (border > 0 && voided[p]) || c === MOUNTAIN;
    labels[p] = isVoid ? MSRC_VOID : c;
    const color = border > 0 && voided[p] ? MSRC_CLASSES[MSRC_VOID].rgb : c === MOUNTAIN ? mountain : MSRC_CLASSES[c].rgb;
    data[p * 3] = color[0];
    data[p * 3 + 1] = color[1];
    data[p * 3 + 2] = color[2];
  }
  return { groundTruth: { data, width, height }, labels };
}

/** Grows a 0/1 mask by a (2r)×(2r) box (r ≥ 1; r = 1 keeps the two-pixel boundary as is). */
function dilate(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 1) return mask;
  const reach = r - 1;
  const tmp = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let d = Math.max(0, x - reach); d <= Math.min(width - 1, x + reach); d++) tmp[y * width + d] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!tmp[y * width + x]) continue;
      for (let d = Math.max(0, y - reach); d <= Math.min(height - 1, y + reach); d++) out[d * width + x] = 1;
    }
  }
  return out;
}
