/**
 * A reader and writer for the safetensors format
 * (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header, then the raw little-endian data
 * that the header's `data_offsets` index.
 *
 * Every check the format allows is made before any tensor is handed out, so a
 * corrupt file fails whole instead of loading half a model. The header's
 * nesting and key count are checked in one pass over its bytes before it is
 * parsed, so no header costs more than a linear scan and a bounded parse.
 */

/** Element types of the safetensors format and their byte sizes. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** One tensor of a safetensors file; `data` is a view into the file's bytes. */
export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** The optional `__metadata__` string map of the header. */
  metadata: Record<string, string>;
  /** Tensors in header order. */
  tensors: Map<string, SafetensorsTensor>;
}

/** Headers above this size are refused: real checkpoints use a few hundred kB. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Deepest nesting of a header: `{"name": {"shape": [ … ]}}`, as the
 * reference implementation's typed header admits. Checked before
 * `JSON.parse`, which would otherwise spend seconds and gigabytes on a
 * header of 90 MB of `[`.
 */
export const MAX_SAFETENSORS_HEADER_DEPTH = 3;

/**
 * Most keys a header may hold, tensors and metadata entries together.
 * Checked before `JSON.parse`: reading a header costs about 10 µs a key (5M
 * metadata keys: most of a minute), and checkpoints hold a few thousand
 * tensors, so 100k keys keep a header under a second or two.
 */
export const MAX_SAFETENSORS_HEADER_KEYS = 100_000;

function fail(source: string, message: string): never {
  throw new Error(`safetensors ${source}: ${message}`);
}

/**
 * Scans the header's bytes once, outside strings, for its nesting depth and
 * its number of keys (one `:` a key), refusing either limit by name at the
 * byte it is passed. Malformed JSON is left to `JSON.parse`.
 */
function checkHeaderShape(header: Uint8Array, source: string): void {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let at = 0; at < header.byteLength; at++) {
    const c = header[at];
    // UTF-8 continuation bytes are >= 0x80, so they never look like these ASCII characters.
    if (inString) {
      if (c === 0x5c) at++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_SAFETENSORS_HEADER_DEPTH) {
        fail(source, `header nests deeper than the ${MAX_SAFETENSORS_HEADER_DEPTH} levels of {"name": {"shape": [...]}} at byte ${8 + at}; refused`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x3a && ++keys > MAX_SAFETENSORS_HEADER_KEYS) {
      fail(source, `header holds more than ${MAX_SAFETENSORS_HEADER_KEYS} keys (tensors and metadata); refused`);
    }
  }
}

/**
 * Parses a safetensors file held in memory.
 *
 * @param bytes The whole file.
 * @param source A name for the file (its path) used in error messages.
 * @throws If the file is truncated, its header is malformed, nests deeper
 *   than the 3 levels of `{"name": {"shape": [...]}}` or holds more than
 *   100,000 keys, a dtype is unknown, or
 *   `data_offsets` overlap, leave holes or run past the data.
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  if (bytes.byteLength < 8) {
    fail(source, `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    fail(source, `header length ${headerLength} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    fail(source, `header length ${n} runs past the end of the ${bytes.byteLength}-byte file (truncated?)`);
  }
  checkHeaderShape(bytes.subarray(8, 8 + n), source);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(source, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(source, 'header must be a JSON object');
  }
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; begin: number; end: number }> = [];
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        fail(source, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') fail(source, `entry "${name}" must be an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
      fail(
        source,
        `tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(source, `tensor "${name}" has invalid shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(source, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > data.byteLength) {
      fail(source, `tensor "${name}" data_offsets [${begin}, ${end}] run past the ${data.byteLength} data bytes (truncated?)`);
    }
    const dt = dtype as SafetensorsDtype;
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dt];
    if (end - begin !== expected) {
      fail(
        source,
        `tensor "${name}" (${dt}, shape [${(shape as number[]).join(', ')}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`,
      );
    }
    spans.push({ name, begin, end });
    tensors.set(name, { name, dtype: dt, shape: [...(shape as number[])], data: data.subarray(begin, end) });
  }
  // The format requires the data to be indexed entirely, without overlaps or holes.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor) fail(source, `tensor "${s.name}" data_offsets [${s.begin}, ${s.end}] overlap the previous tensor`);
    if (s.begin > cursor) fail(source, `data bytes [${cursor}, ${s.begin}) before tensor "${s.name}" belong to no tensor`);
    cursor = s.end;
  }
  if (cursor !== data.byteLength) {
    fail(source, `data bytes [${cursor}, ${data.byteLength}) at the end belong to no tensor`);
  }
  return { metadata, tensors };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Returns a tensor's values as float32, converting F16, BF16 and F64.
 *
 * @throws For integer and boolean dtypes, which are not weights.
 */
export function safetensorsToFloat32(tensor: SafetensorsTensor): Float32Array {
  const { data, dtype } = tensor;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = data.byteLength / SAFETENSORS_DTYPE_BYTES[dtype];
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new Error(`safetensors: tensor "${tensor.name}" has dtype ${dtype}; expected F32, F16, BF16 or F64`);
  }
}

/** A tensor to write with {@link encodeSafetensors}. */
export interface SafetensorsInput {
  dtype: SafetensorsDtype;
  shape: number[];
  data: ArrayBufferView;
}

/** Serialises tensors (in the given order) to the bytes of a safetensors file. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const expected = t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype];
    if (bytes.byteLength !== expected) {
      throw new Error(`encodeSafetensors: tensor "${name}" has ${bytes.byteLength} bytes, shape [${t.shape}] ${t.dtype} needs ${expected}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  const headerBytes = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
