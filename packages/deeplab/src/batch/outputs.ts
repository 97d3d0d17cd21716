import type { NodeModules } from './node.js';

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
export function outputPaths(path: NodeModules['path'], out: string, rel: string, save: readonly SaveKind[]): OutputPaths {
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
