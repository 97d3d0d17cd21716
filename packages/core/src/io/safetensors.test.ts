import { describe, expect, it } from 'vitest';
import { manyMetadataKeys, nestedHeader } from '../../../../scripts/fixtures/hostile_files.mjs';
import { expectRefusal, measurePeak, MiB } from '../../../../test-utils/peak-memory.js';
import { encodeSafetensors, parseSafetensors, safetensorsToFloat32 } from './safetensors.js';

/** Builds a file by hand: 8-byte LE header length, header JSON, data. */
function rawFile(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

describe('parseSafetensors', () => {
  it('reads a hand-built file with metadata and two tensors', () => {
    const data = new Uint8Array([...f32(1, 2, 3), 7, 0, 8, 0]);
    const file = rawFile(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
        b: { dtype: 'I16', shape: [1, 2], data_offsets: [12, 16] },
      },
      data,
    );
    const parsed = parseSafetensors(file, 'x.safetensors');
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect([...parsed.tensors.keys()]).toEqual(['a', 'b']);
    expect(Array.from(safetensorsToFloat32(parsed.tensors.get('a')!))).toEqual([1, 2, 3]);
    expect(parsed.tensors.get('b')!.shape).toEqual([1, 2]);
    expect(Array.from(new Int16Array(parsed.tensors.get('b')!.data.slice().buffer))).toEqual([7, 8]);
  });

  it('round-trips through encodeSafetensors with an aligned data section', () => {
    const bytes = encodeSafetensors(
      { 'layer1.0.conv1.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array([0.5, -1, 3, 4]) } },
      { note: 'é' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata.note).toBe('é');
    expect(Array.from(safetensorsToFloat32(parsed.tensors.get('layer1.0.conv1.weight')!))).toEqual([0.5, -1, 3, 4]);
  });

  it('converts F16 and BF16 exactly for representable values', () => {
    // 1.0, -2.0, 0.5 and 2^-24 (smallest subnormal) in IEEE half precision.
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001]).buffer);
    // 1.0, -2.0, 0.5 in bfloat16 (top half of float32).
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x3f00]).buffer);
    const parsed = parseSafetensors(
      rawFile(
        {
          h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
          b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
        },
        new Uint8Array([...f16, ...bf16]),
      ),
    );
    expect(Array.from(safetensorsToFloat32(parsed.tensors.get('h')!))).toEqual([1, -2, 0.5, 2 ** -24]);
    expect(Array.from(safetensorsToFloat32(parsed.tensors.get('b')!))).toEqual([1, -2, 0.5]);
  });

  const bad: Array<[string, () => Uint8Array, RegExp]> = [
    ['a file shorter than 8 bytes', () => new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
    ['a header length past the end', () => rawFile({}, new Uint8Array(0), 1000), /header length 1000 runs past the end/],
    ['a header length above 100 MB', () => rawFile({}, new Uint8Array(0), 200 * 1024 * 1024), /exceeds the 104857600-byte limit/],
    ['a header that is not JSON', () => rawFile('{"a": [', new Uint8Array(0)), /not valid UTF-8 JSON/],
    ['a header that is an array', () => rawFile([], new Uint8Array(0)), /must be a JSON object/],
    [
      'an unsupported dtype',
      () => rawFile({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /"a" has unsupported dtype "C64"; expected one of F64, F32/,
    ],
    [
      'a negative shape',
      () => rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /"a" has invalid shape \[-1\]/,
    ],
    [
      'offsets past the data (truncated file)',
      () => rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(12)),
      /"a" data_offsets \[0, 16\] run past the 12 data bytes/,
    ],
    [
      'a byte count that disagrees with the shape',
      () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /needs 8 bytes but data_offsets \[0, 4\] give 4/,
    ],
    [
      'overlapping tensors',
      () =>
        rawFile(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
      /"b" data_offsets \[4, 12\] overlap/,
    ],
    [
      'a hole in the data',
      () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /data bytes \[0, 4\) before tensor "a" belong to no tensor/,
    ],
    [
      'trailing bytes',
      () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)),
      /data bytes \[4, 6\) at the end belong to no tensor/,
    ],
    [
      'reversed offsets',
      () => rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [3, 1] } }, new Uint8Array(3)),
      /invalid data_offsets \[3,1\]/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`rejects ${what}, naming the source`, () => {
      expect(() => parseSafetensors(make(), 'w.safetensors')).toThrow(/^safetensors w\.safetensors: /);
      expect(() => parseSafetensors(make(), 'w.safetensors')).toThrow(message);
    });
  }

  it('refuses to read integer tensors as weights', () => {
    const parsed = parseSafetensors(rawFile({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    expect(() => safetensorsToFloat32(parsed.tensors.get('n')!)).toThrow(/"n" has dtype I64; expected F32, F16, BF16 or F64/);
  });
});

// Issue 24, item 7: headers up to the 100 MB limit that JSON.parse spent 31 s and 4.6 GB
// (nesting) or 49 s (keys) on. Each name states the bound: memory peak, and time as the timeout.
describe('parseSafetensors on hostile headers (scripts/fixtures/hostile_files.mjs)', () => {
  // [what, file, message]; the peak bound is 16 MiB and the time bound 10 s for each.
  it.each([
    // Byte 8 + 3: the fourth [ after the 8-byte length.
    ['a 90 MB header of nested [ at its fourth byte', nestedHeader, 'header nests deeper than the 3 levels of {"name": {"shape": [...]}} at byte 11; refused'],
    ['a header of 5M metadata keys once it has counted 100k', manyMetadataKeys, 'header holds more than 100000 keys (tensors and metadata); refused'],
  ])('refuses %s (peak < 16 MiB, 10 s)', (_, make, message) => {
    const bytes = make();
    expectRefusal(() => parseSafetensors(bytes, 'hostile.safetensors'), `safetensors hostile.safetensors: ${message}`, 16 * MiB);
  }, 10_000);

  it('reads a header of exactly 100k keys (__metadata__ and 99,999 entries) and refuses one more (peak < 128 MiB, 20 s)', () => {
    const { value, error, peakGrowth } = measurePeak(() => parseSafetensors(manyMetadataKeys({ keys: 99_999 })));
    expect(error).toBeUndefined();
    expect(Object.keys(value!.metadata).length).toBe(99_999);
    expect(value!.metadata['99998']).toBe('');
    expect(peakGrowth).toBeLessThan(128 * MiB);
    expect(() => parseSafetensors(manyMetadataKeys({ keys: 100_000 }))).toThrow('more than 100000 keys');
  }, 20_000);

  it('counts structure outside strings only: brackets, colons and escaped quotes inside names and values are text', () => {
    const header = { __metadata__: { 'a[[[[:"\\': 'x{{{{::"' }, 'w[{:': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    const parsed = parseSafetensors(rawFile(header, f32(2)), 'x.safetensors');
    expect(parsed.metadata).toEqual(header.__metadata__);
    expect([...parsed.tensors.keys()]).toEqual(['w[{:']);
    const deeper = { w: { dtype: 'F32', shape: [[1]], data_offsets: [0, 4] } };
    expect(() => parseSafetensors(rawFile(deeper, f32(2)), 'x.safetensors')).toThrow(/nests deeper than the 3 levels .* at byte 37; refused/);
  });
});
