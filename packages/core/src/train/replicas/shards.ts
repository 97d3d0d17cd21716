/** How a batch is split across replicas, and their results averaged back. */

/** The images of a batch split as evenly as possible over at most `count` replicas: shard sizes. */
export function shardSizes(batch: number, count: number): number[] {
  const n = Math.min(batch, count);
  return Array.from({ length: n }, (_, i) => Math.floor(batch / n) + (i < batch % n ? 1 : 0));
}

/**
 * Pixel weights of the shards: every shard holds whole images of one size, so
 * they are image counts over the batch. A loss that ignores some pixels (an
 * ignore index) averages over the counted ones per shard; the shards are then
 * still weighted by all their pixels, as the reference run's loss, which
 * ignores none, needs.
 */
export function shardWeights(sizes: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  return sizes.map((n) => n / total);
}

/** `sum += weight · values`, element by element (the replicas' gradients into their mean). */
export function addWeighted(sum: Float32Array, values: Float32Array, weight: number): void {
  for (let k = 0; k < sum.length; k++) sum[k] += weight * values[k];
}
