/**
 * The data stream's position as a stateful part of a training run. A batch
 * stream's order and augmentation follow from its seed, the epoch and the
 * sample index alone (counter-based random numbers: `SeededRng.derive`), so
 * the position of the next batch is the whole of the data's and its RNG's
 * state; the checkpoint's `data` section holds it.
 */
import { expectInteger, expectObject } from '../run-state/json.js';
import type { StatefulPart } from '../run-state/stateful-part.js';
import type { SegmentationBatch, SegmentationBatchStream } from './batches.js';

/** The checkpoint section `data`: the next batch a resumed run trains on. */
export type DataPosition = { epoch: number; batch: number; batchesPerEpoch: number };

/**
 * An endless stream of training batches that remembers how far it got, for
 * `new Trainer({ data })`: the trainer checkpoints and restores its position
 * with the rest of the run's state.
 */
export class ResumableBatches implements StatefulPart, AsyncIterable<SegmentationBatch> {
  readonly stateKey = 'data' as const;
  private epoch = 0;
  private batch = 0;

  constructor(readonly stream: SegmentationBatchStream) {}

  /** The next batch to hand out: `(epoch, batch)`. */
  get position(): { epoch: number; batch: number } {
    return { epoch: this.epoch, batch: this.batch };
  }

  /** Batches from the current position on, epoch after epoch; each advances the position as it is handed out. */
  async *[Symbol.asyncIterator](): AsyncGenerator<SegmentationBatch, void, undefined> {
    for await (const b of this.stream.repeat(this.epoch, this.batch)) {
      const next = b.batch + 1;
      if (next >= this.stream.batchesPerEpoch) {
        this.epoch = b.epoch + 1;
        this.batch = 0;
      } else {
        this.epoch = b.epoch;
        this.batch = next;
      }
      yield b;
    }
  }

  getState(): DataPosition {
    return { epoch: this.epoch, batch: this.batch, batchesPerEpoch: this.stream.batchesPerEpoch };
  }

  checkState(state: unknown, source: string): void {
    const s = expectObject(state, source, 'the data position');
    expectInteger(s.epoch, `${source}.epoch`);
    const perEpoch = expectInteger(s.batchesPerEpoch, `${source}.batchesPerEpoch`, 1);
    if (perEpoch !== this.stream.batchesPerEpoch) {
      throw new Error(
        `${source}: the checkpoint's data had ${perEpoch} batches per epoch, this stream has ${this.stream.batchesPerEpoch}; ` +
          'the dataset or batch size changed, so its position cannot be resumed',
      );
    }
    const batch = expectInteger(s.batch, `${source}.batch`);
    if (batch >= perEpoch) throw new Error(`${source}.batch: ${batch} is not below batchesPerEpoch ${perEpoch}`);
  }

  setState(state: unknown): void {
    const s = state as DataPosition;
    this.epoch = s.epoch;
    this.batch = s.batch;
  }
}

/** Wraps a batch stream so a trainer can checkpoint and restore its position: see {@link ResumableBatches}. */
export function resumableBatches(stream: SegmentationBatchStream): ResumableBatches {
  return new ResumableBatches(stream);
}
