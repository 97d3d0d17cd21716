import { DatasetFileError } from '../dataset.js';
import type { LabelMap } from '../formats/format-layout.js';
import { readImageBytes } from '../image/decode.js';
import { decodeIndexPng } from '../image/png-indices.js';

/**
 * A lookup from stored value (0..255) to class id, or -1 for a value that is
 * neither a class nor ignored. `describe` says which values are valid, for
 * the error message.
 */
export interface IndexTable {
  classOf: Int16Array;
  describe: string;
}

/** An {@link IndexTable} from `[value, classId]` pairs; every other value is invalid. */
export function indexTable(pairs: Iterable<readonly [number, number]>, describe: string): IndexTable {
  const classOf = new Int16Array(256).fill(-1);
  for (const [value, id] of pairs) classOf[value] = id;
  return { classOf, describe };
}

/**
 * Maps stored values to class ids through `table`.
 *
 * @throws {DatasetFileError} `unknown-index`, naming the file, the value, its first pixel and the valid values.
 */
export function mapIndices(values: Uint8Array, width: number, table: IndexTable, file: string): Uint8Array {
  const labels = new Uint8Array(values.length);
  const { classOf } = table;
  for (let p = 0; p < values.length; p++) {
    const id = classOf[values[p]];
    if (id < 0) {
      throw new DatasetFileError(
        'unknown-index',
        file,
        `${file}: value ${values[p]} first at pixel (${p % width}, ${Math.floor(p / width)}) (x, y) is no class and not ignored; valid values: ${table.describe}`,
      );
    }
    labels[p] = id;
  }
  return labels;
}

/** Reads a grey or palette PNG mask's stored values (from its `bytes` when already read) and maps them through `table` (see {@link mapIndices}). */
export async function readIndexLabels(file: string, table: IndexTable, bytes?: Uint8Array): Promise<LabelMap> {
  const { indices, width, height } = await decodeIndexPng(bytes ?? (await readImageBytes(file)), file);
  return { labels: mapIndices(indices, width, table, file), width, height };
}
