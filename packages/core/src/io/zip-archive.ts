/**
 * A reader for the ZIP archives `torch.save` writes (PyTorch ≥ 1.6): entries
 * stored uncompressed, found through the central directory (ZIP64 included),
 * handed out as views into the archive's bytes without copying.
 *
 * Only what PyTorch writes is read: {@link storedData} refuses a compressed
 * entry naming it, and encrypted or multi-disk archives are refused. Every offset and size read from the
 * archive is checked against its length before use, so a truncated or
 * crafted file fails with an error instead of reading out of bounds.
 *
 * Sizes come from the central directory, not the local headers: PyTorch sets
 * the data-descriptor flag, and its local headers may carry zero sizes.
 *
 * @module
 */

/** One entry of a ZIP archive. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** The entry's bytes as stored (compressed when `method` is not 0): a view into the archive. */
  data: Uint8Array;
  /** Compression method: 0 stored, 8 deflate, … */
  method: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Where an archive's bytes are read, with bounds checks naming the archive. */
class Reader {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new Error(`zip ${this.source}: ${message}`);
  }

  need(offset: number, length: number, what: string): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.bytes.byteLength)) {
      this.fail(`${what} at byte ${offset} (${length} bytes) runs past the end of the ${this.bytes.byteLength}-byte file (truncated?)`);
    }
  }

  u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  u64(at: number, what: string): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${value} is beyond any file this reader can hold`);
    return Number(value);
  }
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

function findDirectory(r: Reader): Directory {
  const { bytes } = r;
  const lowest = Math.max(0, bytes.byteLength - EOCD_SIZE - MAX_COMMENT);
  let eocd = -1;
  for (let at = bytes.byteLength - EOCD_SIZE; at >= lowest; at--) {
    if (r.u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) r.fail('no end-of-central-directory record: not a ZIP archive, or truncated');
  if (r.u16(eocd + 4) !== 0 || r.u16(eocd + 6) !== 0) r.fail('multi-disk archives are not supported');
  let count = r.u16(eocd + 10);
  let size = r.u32(eocd + 12);
  let offset = r.u32(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    r.need(locator, 20, 'ZIP64 end-of-central-directory locator');
    if (r.u32(locator) !== EOCD64_LOCATOR) r.fail('ZIP64 sizes announced but no ZIP64 locator found');
    const record = r.u64(locator + 8, 'ZIP64 record offset');
    r.need(record, 56, 'ZIP64 end-of-central-directory record');
    if (r.u32(record) !== EOCD64) r.fail(`no ZIP64 end-of-central-directory record at byte ${record}`);
    count = r.u64(record + 32, 'entry count');
    size = r.u64(record + 40, 'central directory size');
    offset = r.u64(record + 48, 'central directory offset');
  }
  r.need(offset, size, 'central directory');
  return { count, offset, size };
}

/** The ZIP64 extended-information extra field: 64-bit values for the 32-bit fields that hold 0xffffffff. */
function zip64Values(r: Reader, extraStart: number, extraLength: number, wanted: number): number[] {
  let at = extraStart;
  while (at + 4 <= extraStart + extraLength) {
    const id = r.u16(at);
    const length = r.u16(at + 2);
    if (id === 0x0001) {
      if (length < 8 * wanted || at + 4 + length > extraStart + extraLength) r.fail('ZIP64 extra field is too short');
      return Array.from({ length: wanted }, (_, i) => r.u64(at + 4 + 8 * i, 'ZIP64 value'));
    }
    at += 4 + length;
  }
  return r.fail('ZIP64 sizes announced but the entry has no ZIP64 extra field');
}

/**
 * Lists the entries of a ZIP archive held in memory, as views into `bytes`.
 *
 * @param source A name for the archive (its path), used in error messages.
 * @throws If the archive is truncated, its directory is malformed, an entry
 *   is encrypted, or an entry's data runs past the archive.
 */
export function readZipEntries(bytes: Uint8Array, source = '<bytes>'): Map<string, ZipEntry> {
  const r = new Reader(bytes, source);
  if (bytes.byteLength < EOCD_SIZE) r.fail(`file is ${bytes.byteLength} bytes, too short for a ZIP archive`);
  const directory = findDirectory(r);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8');
  let at = directory.offset;
  const end = directory.offset + directory.size;
  for (let i = 0; i < directory.count; i++) {
    if (at + 46 > end) r.fail(`central directory holds fewer than the ${directory.count} entries it announces`);
    if (r.u32(at) !== CENTRAL_HEADER) r.fail(`central directory entry ${i} at byte ${at} has a bad signature`);
    const flags = r.u16(at + 8);
    const method = r.u16(at + 10);
    let compressed = r.u32(at + 20);
    let size = r.u32(at + 24);
    const nameLength = r.u16(at + 28);
    const extraLength = r.u16(at + 30);
    const commentLength = r.u16(at + 32);
    let local = r.u32(at + 42);
    if (at + 46 + nameLength + extraLength + commentLength > end) r.fail(`central directory entry ${i} runs past the directory`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const wide = [size, compressed, local].filter((v) => v === 0xffffffff).length;
    if (wide > 0) {
      const values = zip64Values(r, at + 46 + nameLength, extraLength, wide);
      // The ZIP64 field lists only the widened values, in this order.
      if (size === 0xffffffff) size = values.shift()!;
      if (compressed === 0xffffffff) compressed = values.shift()!;
      if (local === 0xffffffff) local = values.shift()!;
    }
    if (flags & 0x1) r.fail(`entry "${name}" is encrypted`);
    if (method === 0 && compressed !== size) r.fail(`entry "${name}" is stored with ${compressed} bytes but announces ${size}`);
    r.need(local, 30, `local header of "${name}"`);
    if (r.u32(local) !== LOCAL_HEADER) r.fail(`entry "${name}": no local header at byte ${local}`);
    const dataStart = local + 30 + r.u16(local + 26) + r.u16(local + 28);
    r.need(dataStart, compressed, `data of entry "${name}"`);
    if (entries.has(name)) r.fail(`entry "${name}" occurs twice`);
    entries.set(name, { name, data: bytes.subarray(dataStart, dataStart + compressed), method });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The bytes of a stored (uncompressed) entry.
 *
 * @throws If the entry is compressed, naming it.
 */
export function storedData(entry: ZipEntry, source: string): Uint8Array {
  if (entry.method !== 0) {
    throw new Error(
      `zip ${source}: entry "${entry.name}" is compressed (method ${entry.method}); torch.save stores entries uncompressed, so re-save the file with torch.save`,
    );
  }
  return entry.data;
}

/** Whether `bytes` start like a ZIP archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}
