import * as path from 'node:path';

/**
 * What batch segmentation can write per image: `labels` (class ids, always
 * written: it is the output that marks an image done), `color` (the labels
 * painted with the palette), `overlay` (the colours blended over the image),
 * `scores` (each pixel's winning probability).
 */
export const SAVE_KINDS = ['labels', 'color', 'overlay', 'scores'] as const;

/** One of {@link SAVE_KINDS}. */
export type SaveKind = (typeof SAVE_KINDS)[number];

/** File name endings of each kind of output, after the input's relative path. */
export const OUTPUT_SUFFIXES: Readonly<Record<SaveKind, string>> = {
  labels: '.png',
  color: '.color.png',
  overlay: '.overlay.png',
  scores: '.scores.png',
};

/** Absolute paths of an image's outputs; `labels` always, the others when asked for. */
export type OutputPaths = { labels: string } & Partial<Record<Exclude<SaveKind, 'labels'>, string>>;

/** `<out>/<rel><suffix>` for `labels` and every other kind in `save`. */
export function outputPaths(out: string, rel: string, save: readonly SaveKind[]): OutputPaths {
  const paths: OutputPaths = { labels: path.join(out, `${rel}${OUTPUT_SUFFIXES.labels}`) };
  for (const kind of save) if (kind !== 'labels') paths[kind] = path.join(out, `${rel}${OUTPUT_SUFFIXES[kind]}`);
  return paths;
}

/**
 * Checks a list of output kinds.
 *
 * @throws Naming an unknown kind and the valid ones.
 */
export function checkSaveKinds(save: readonly string[]): SaveKind[] {
  const bad = save.filter((s) => !(SAVE_KINDS as readonly string[]).includes(s));
  if (bad.length > 0) throw new Error(`unknown output kind(s) ${bad.join(', ')}; choose from ${SAVE_KINDS.join(', ')}`);
  return [...new Set(save as SaveKind[])];
}

/**
 * Every way the outputs of `images` under `out` would overwrite each other
 * or an input, one line each: two images writing one file (`a/x.jpg` and
 * `b/x.jpg` named as files; `p` and `p.color` with `--save color`), a file
 * where another image's outputs need a folder (`x.png` beside a folder
 * `x.png.png/` of images), an output that is an input image. Found before
 * the run, so that no image fails (or is silently overwritten) halfway.
 */
export function outputClashes(out: string, images: readonly { input: string; outputs: OutputPaths }[]): string[] {
  // Owners are kept as (image, kind) and put into words only for a clash: a run may have millions of outputs.
  const files = new Map<string, { image: number; kind: string }>();
  const folders = new Map<string, number>();
  const owner = ({ image, kind }: { image: number; kind: string }) => `the ${kind} output of ${images[image].input}`;
  const clashes: string[] = [];
  images.forEach(({ outputs }, image) => {
    for (const kind in outputs) {
      const file = outputs[kind as SaveKind]!;
      const other = files.get(file);
      if (other !== undefined) clashes.push(`${file} would be both ${owner(other)} and ${owner({ image, kind })}`);
      else files.set(file, { image, kind });
    }
    // An image's outputs share one folder. Folders up to `out`; once one is known, so are those above it.
    for (let dir = path.dirname(outputs.labels); dir.length > out.length && !folders.has(dir); dir = path.dirname(dir)) folders.set(dir, image);
  });
  for (const [file, first] of files) {
    const holder = folders.get(file);
    if (holder !== undefined) clashes.push(`${file} would be both ${owner(first)} and a folder holding the outputs of ${images[holder].input}`);
  }
  for (const { input } of images) {
    const first = files.get(input);
    if (first !== undefined) clashes.push(`${input} is an input image and would be overwritten as ${owner(first)}`);
  }
  return clashes;
}
