/** One class's part of a label map. */
export interface ClassShare {
  /** Class id. */
  id: number;
  /** Pixels labelled with it. */
  pixels: number;
  /** `pixels` over all pixels, in [0, 1]. */
  share: number;
}

/**
 * The classes present in a label map with their share of its pixels, largest first
 * (ties by class id), for the page's legend.
 */
export function classShares(labels: ArrayLike<number>): ClassShare[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return [...counts]
    .map(([id, pixels]) => ({ id, pixels, share: pixels / labels.length }))
    .sort((a, b) => b.pixels - a.pixels || a.id - b.id);
}
