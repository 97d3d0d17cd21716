import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, safetensorsToFloat32 } from './safetensors.js';
import { parseWeightFile, readWeightFile } from './tensor-files.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';
import { readZipEntries } from './zip-archive.js';
import { expectRefusal, measurePeak, MiB } from '../../../../test-utils/peak-memory.js';
import {
  distinctStrideZeroViews,
  floatView,
  global,
  nestedLists,
  OP,
  pickle,
  sharedDict,
  strideZeroViews,
  torchArchive,
  wideAppends,
  wideInteger,
} from '../../../../scripts/fixtures/hostile_files.mjs';

// Made by scripts/fixtures/torch_checkpoints.py with PyTorch 1.13.
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'torch-checkpoints');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const MARKER = '/tmp/seg-pth-fixture-was-executed';

const { EMPTY_DICT, REDUCE, EMPTY_TUPLE, SETITEM } = OP;

describe('readTorchCheckpoint', () => {
  it('reads every tensor of a torch.save dict as torch stores it contiguously: views, strides, shared storages, all dtypes', async () => {
    const checkpoint = await readTorchCheckpoint(join(FIXTURES, 'views.pth'));
    const expected = parseSafetensors(fixture('views.safetensors'));
    const { tensors: names, metadata } = JSON.parse(readFileSync(join(FIXTURES, 'views.json'), 'utf8'));
    expect([...checkpoint.tensors.keys()].sort()).toEqual(names);
    for (const name of names) {
      const actual = checkpoint.tensors.get(name)!;
      const reference = expected.tensors.get(name)!;
      expect({ name, dtype: actual.dtype, shape: actual.shape }).toEqual({ name, dtype: reference.dtype, shape: reference.shape });
      // Byte-for-byte: the reader copies values, never converts them.
      expect(Buffer.from(actual.data).equals(Buffer.from(reference.data)), name).toBe(true);
    }
    expect(checkpoint.metadata).toEqual(metadata);
  });

  it('hands out contiguous tensors as views into the file, copying only strided ones', () => {
    const bytes = fixture('views.pth');
    const { tensors } = parseTorchCheckpoint(bytes);
    expect(tensors.get('contiguous')!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get('offset')!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get('transposed')!.data.buffer).not.toBe(bytes.buffer);
  });

  it('reads a module state_dict (OrderedDict with _metadata) and a {model, optimizer} checkpoint', () => {
    const state = parseTorchCheckpoint(fixture('state-dict.pth'), 'state-dict.pth');
    expect([...state.tensors.keys()]).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias',
    ]);
    expect(state.tensors.get('0.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(state.tensors.get('1.num_batches_tracked')!.dtype).toBe('I64');
    const checkpoint = parseTorchCheckpoint(fixture('checkpoint.pth'));
    expect(checkpoint.tensors.get('model.3.bias')!.shape).toEqual([2]);
    expect(checkpoint.tensors.get('optimizer.state.0.exp_avg')!.shape).toEqual([4, 3, 3, 3]);
    expect(checkpoint.metadata['optimizer.param_groups.0.lr']).toBe('0.001');
    expect(checkpoint.metadata['optimizer.param_groups.0.betas.1']).toBe('0.999');
  });

  it('refuses a pickle that calls os.system, naming the global, and runs nothing', () => {
    rmSync(MARKER, { force: true });
    expect(() => parseTorchCheckpoint(fixture('os-system.pth'), 'os-system.pth')).toThrow(
      /os-system\.pth:os-system\/data\.pkl: GLOBAL at byte \d+: global posix\.system is not allowed: .*nothing in it was run/,
    );
    expect(existsSync(MARKER)).toBe(false);
  });

  it.each([
    ['builtins', 'eval'],
    ['os', 'system'],
    ['torch', 'IntStorage'],
    ['torch._utils', '_rebuild_qtensor'],
    ['numpy.core.multiarray', '_reconstruct'],
  ])('refuses the global %s.%s by name', (module, name) => {
    const bytes = torchArchive(pickle(EMPTY_DICT, 'x', ...global(module, name), EMPTY_TUPLE, REDUCE, SETITEM));
    expect(() => parseTorchCheckpoint(bytes, 'crafted.pth')).toThrow(`global ${module}.${name} is not allowed`);
  });

  it('refuses a global reached through STACK_GLOBAL, and instance-building opcodes', () => {
    const stackGlobal = torchArchive(pickle(EMPTY_DICT, 'x', 'subprocess', 'Popen', 0x93, EMPTY_TUPLE, REDUCE, SETITEM));
    expect(() => parseTorchCheckpoint(stackGlobal)).toThrow('global subprocess.Popen is not allowed');
    const inst = torchArchive(pickle(0x28, 0x69, ...new TextEncoder().encode('os\nsystem\n')));
    expect(() => parseTorchCheckpoint(inst)).toThrow(/INST at byte 3: .*refused/);
  });

  it('refuses an int32 tensor, whose storage type is not admitted', () => {
    expect(() => parseTorchCheckpoint(fixture('int32.pth'), 'int32.pth')).toThrow('global torch.IntStorage is not allowed');
  });

  it('names a truncated and an oversized storage record', () => {
    expect(() => parseTorchCheckpoint(fixture('truncated-record.pth'), 'truncated-record.pth')).toThrow(
      /truncated-record\.pth.*record views\/data\/0 has 92 bytes, but its 24 F32 values need 96 \(truncated record\)/,
    );
    expect(() => parseTorchCheckpoint(fixture('oversized-record.pth'), 'oversized-record.pth')).toThrow(
      /record views\/data\/0 has 160 bytes, more than the 96 its 24 F32 values need \(oversized record\)/,
    );
  });

  it('names a truncated file', () => {
    const bytes = fixture('views.pth');
    expect(() => parseTorchCheckpoint(bytes.subarray(0, bytes.byteLength - 30), 'cut.pth')).toThrow(
      /zip cut\.pth: no end-of-central-directory record: not a ZIP archive, or truncated/,
    );
    // Cut inside the last record: the directory is intact but points past the end.
    const cut = bytes.slice();
    const eocd = cut.byteLength - 22;
    const view = new DataView(cut.buffer);
    view.setUint32(eocd + 16, view.getUint32(eocd + 16, true) + 100_000, true);
    expect(() => parseTorchCheckpoint(cut, 'moved.pth')).toThrow(/central directory at byte \d+ .* runs past the end .*truncated/);
  });

  it('checks views against their storage, and storages against their records', () => {
    const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', numel), offset, size, stride, False, OrderedDict())}
    const tensor = (numel: number, offset: number, size: number[], stride: number[]) =>
      pickle(EMPTY_DICT, 'w', ...floatView(numel, offset, size, stride), SETITEM);
    const ok = parseTorchCheckpoint(torchArchive(tensor(4, 1, [3], [1]), { 0: f32 }));
    expect(Array.from(safetensorsToFloat32(ok.tensors.get('w')!))).toEqual([2, 3, 4]);
    const reversed = parseTorchCheckpoint(torchArchive(tensor(4, 0, [2, 2], [1, 2]), { 0: f32 }));
    expect(Array.from(safetensorsToFloat32(reversed.tensors.get('w')!))).toEqual([1, 3, 2, 4]);
    expect(() => parseTorchCheckpoint(torchArchive(tensor(4, 2, [3], [1]), { 0: f32 }), 'x.pth')).toThrow(
      /a view of size \[3\], stride \[1\] at offset 2 reaches element 4 of storage 0, which has 4/,
    );
    expect(() => parseTorchCheckpoint(torchArchive(tensor(4, 0, [2, 2], [2, 2]), { 0: f32 }))).toThrow(/reaches element 4/);
    expect(() => parseTorchCheckpoint(torchArchive(tensor(4, 0, [4], [1]), {}), 'x.pth')).toThrow(/record archive\/data\/0 of storage 0 is missing/);
    // Stride 0 over one value: a few bytes in the file, 4 GiB if copied out.
    expect(() => parseTorchCheckpoint(torchArchive(tensor(4, 0, [2 ** 30], [0]), { 0: f32 }), 'x.pth')).toThrow(
      /x\.pth: "w": a strided view of shape \[1073741824\] over storage 0 would copy 4294967296 bytes, .* exceed this file's budget of \d+ bytes/,
    );
  });

  it('reads an archive whose sizes and offsets are in ZIP64 fields', () => {
    const pkl = pickle(EMPTY_DICT, 'epoch', 0x4b, 3, SETITEM);
    expect(parseTorchCheckpoint(torchArchive(pkl, {}, true)).metadata).toEqual({ epoch: '3' });
    expect([...readZipEntries(torchArchive(pkl, { 0: new Uint8Array(5) }, true)).keys()]).toEqual(['archive/data.pkl', 'archive/data/0']);
  });

  it('refuses a truncated pickle and a compressed entry', () => {
    const pkl = pickle(EMPTY_DICT, 'epoch', 0x4b, 3, SETITEM);
    expect(() => parseTorchCheckpoint(torchArchive(pkl.subarray(0, 8)), 'x.pth')).toThrow(/SHORT_BINUNICODE at byte 3: needs 5 more bytes .*truncated/);
    const zip = torchArchive(pkl);
    // Method 8 (deflate) in the central directory entry.
    const directory = new DataView(zip.buffer).getUint32(zip.byteLength - 6, true);
    new DataView(zip.buffer).setUint16(directory + 10, 8, true);
    expect(() => parseTorchCheckpoint(zip, 'x.pth')).toThrow(/entry "archive\/data\.pkl" is compressed \(method 8\)/);
  });

  it('explains how to re-save a legacy (pre-1.6) file, and refuses TorchScript archives', () => {
    expect(() => parseTorchCheckpoint(fixture('legacy.pth'), 'legacy.pth')).toThrow(
      /legacy\.pth: is in PyTorch's legacy \(pre-1\.6\) format.*torch\.save\(torch\.load\('old\.pth', map_location='cpu', weights_only=True\), 'new\.pth'\)/,
    );
    expect(() => parseTorchCheckpoint(fixture('torchscript.pt'), 'torchscript.pt')).toThrow(/TorchScript archive .*state_dict/);
    expect(() => parseTorchCheckpoint(new Uint8Array([1, 2, 3]), 'x.bin')).toThrow('x.bin: is not a torch.save file');
  });
});

describe('readWeightFile', () => {
  it('tells .pth and .safetensors files apart by their bytes', async () => {
    const pth = await readWeightFile(join(FIXTURES, 'views.pth'));
    const safetensors = parseWeightFile(fixture('views.safetensors'), 'v');
    expect(pth.name).toBe(join(FIXTURES, 'views.pth'));
    expect([...pth.file.tensors.keys()].sort()).toEqual([...safetensors.tensors.keys()].sort());
    expect(() => parseWeightFile(fixture('legacy.pth'))).toThrow(/legacy \(pre-1\.6\) format/);
  });
});

// Issue 24, items 3–6: files of a few bytes to 2 MB that cost gigabytes, minutes or a stack
// overflow before the reader was bounded. Each test's name states its bound: the memory peak
// (measured with measurePeak) and, as the test's timeout, its time; unloaded, each runs well
// under a second.
describe('readTorchCheckpoint on hostile files (scripts/fixtures/hostile_files.mjs)', () => {
  const F32_ONE_AND_A_HALF = 0x3fc00000;

  it('refuses 12 references to a 1 GiB stride-0 view of 4 bytes by the file copy budget, copying nothing (peak < 16 MiB, 10 s)', () => {
    const bytes = strideZeroViews();
    expect(bytes.byteLength).toBeLessThan(500);
    // Budget: twice the file's size plus 64 MiB.
    const budget = 2 * bytes.byteLength + 64 * MiB;
    expectRefusal(
      () => parseTorchCheckpoint(bytes, 'stride-zero.pth'),
      `torch checkpoint stride-zero.pth: "w0": a strided view of shape [268435456] over storage 0 would copy 1073741824 bytes, ` +
        `and with the 0 copied before exceed this file's budget of ${budget} bytes for copies (twice its size plus 67108864); refused`,
      16 * MiB,
    );
  }, 10_000);

  it('copies a 16 MiB stride-0 view named 12 times once, where 12 copies would exceed the budget (peak < 40 MiB, 10 s)', () => {
    const elements = 4 * MiB;
    const { value, error, peakGrowth } = measurePeak(() => parseTorchCheckpoint(strideZeroViews({ size: elements, references: 12 })));
    expect(error).toBeUndefined();
    const tensors = [...value!.tensors.values()];
    expect(tensors.map((t) => t.name)).toEqual(Array.from({ length: 12 }, (_, i) => `w${i}`));
    for (const t of tensors) {
      expect(t.shape).toEqual([elements]);
      expect(t.data).toBe(tensors[0].data);
    }
    const words = new Uint32Array(tensors[0].data.buffer, tensors[0].data.byteOffset, elements);
    expect(words.every((w) => w === F32_ONE_AND_A_HALF)).toBe(true);
    expect(peakGrowth).toBeLessThan(40 * MiB);
  }, 10_000);

  it('gives the file one copy budget: the fifth distinct 16 MiB view passes it (peak < 96 MiB, 10 s)', () => {
    const elements = 4 * MiB;
    const bytes = distinctStrideZeroViews({ size: elements, count: 6 });
    // Views w0..w3 copy (2^22 + i) float32 values each: 4 * 2^22 * 4 + 4 * (0 + 1 + 2 + 3) bytes.
    const budget = 2 * bytes.byteLength + 64 * MiB;
    expectRefusal(
      () => parseTorchCheckpoint(bytes, 'distinct.pth'),
      `torch checkpoint distinct.pth: "w4": a strided view of shape [${elements + 4}] over storage 0 would copy ${4 * (elements + 4)} bytes, ` +
        `and with the 67108888 copied before exceed this file's budget of ${budget} bytes for copies (twice its size plus 67108864); refused`,
      96 * MiB,
    );
  }, 10_000);

  it('refuses a view of more than 64 dimensions', () => {
    const bytes = torchArchive(pickle(EMPTY_DICT, 'w', ...floatView(1, 0, Array(65).fill(1), Array(65).fill(0)), SETITEM), { 0: new Uint8Array(4) });
    expect(() => parseTorchCheckpoint(bytes, 'x.pth')).toThrow(/REDUCE at byte \d+: torch\._utils\._rebuild_tensor_v2: size has 65 dimensions, more than the 64 admitted/);
  });

  it('refuses a 2 MB file whose 10 kB-key dict is shared 999k times by its limit on names (peak < 256 MiB, 20 s)', () => {
    const bytes = sharedDict();
    expect(bytes.byteLength).toBeLessThan(2.1e6);
    expectRefusal(
      () => parseTorchCheckpoint(bytes, 'shared.pth'),
      /^torch checkpoint shared\.pth: its names would take more than 33554432 characters \(at "x\.\d+"; a dict shared many times\?\); refused$/,
      256 * MiB,
    );
  }, 20_000);

  it('still reads a dict shared under two names, each under its own name', () => {
    // {'a': d, 'b': d} with d = {'w': 1}, the second reached through the memo.
    const bytes = torchArchive(pickle(EMPTY_DICT, 'a', EMPTY_DICT, OP.BINPUT, 0, 'w', OP.BININT1, 1, SETITEM, SETITEM, 'b', OP.BINGET, 0, SETITEM));
    expect(parseTorchCheckpoint(bytes).metadata).toEqual({ 'a.w': '1', 'b.w': '1' });
  });

  it('refuses a 1 MB LONG4 integer by name without decoding it (peak < 16 MiB, 10 s)', () => {
    expectRefusal(
      () => parseTorchCheckpoint(wideInteger(), 'long.pth'),
      'pickle long.pth:archive/data.pkl: LONG4 at byte 6: an integer of 1048576 bytes; a file of tensors holds none wider than 32, refused',
      16 * MiB,
    );
  }, 10_000);

  it('reads LONG1 integers up to 32 bytes and refuses 33', () => {
    const long1 = (digits: number[]) => torchArchive(pickle(EMPTY_DICT, 'x', [0x8a, digits.length, ...digits], SETITEM));
    // 2^63 (9 bytes: the sign byte makes it positive), and -1 in 32 bytes.
    expect(parseTorchCheckpoint(long1([0, 0, 0, 0, 0, 0, 0, 0x80, 0])).metadata).toEqual({ x: '9223372036854775808' });
    expect(parseTorchCheckpoint(long1(Array(32).fill(0xff))).metadata).toEqual({ x: '-1' });
    expect(() => parseTorchCheckpoint(long1(Array(33).fill(0xff)), 'x.pth')).toThrow(/LONG1 at byte 6: an integer of 33 bytes; .* refused/);
  });

  it('refuses 100k nested lists by name at 64 levels, not with a stack overflow (peak < 64 MiB, 10 s)', () => {
    const bytes = nestedLists();
    expectRefusal(
      () => parseTorchCheckpoint(bytes, 'deep.pth'),
      /^torch checkpoint deep\.pth: "x(\.0){39}\.…" nests dicts and lists more than 64 deep; refused$/,
      64 * MiB,
    );
    // The root dict and 63 lists are 64 levels: read.
    expect(parseTorchCheckpoint(nestedLists({ depth: 63 }))).toEqual({ tensors: new Map(), metadata: {} });
  }, 10_000);

  it('reads one APPENDS of 200k items, every one named (peak < 256 MiB, 20 s)', () => {
    const { value, error, peakGrowth } = measurePeak(() => parseTorchCheckpoint(wideAppends(), 'wide.pth'));
    expect(error).toBeUndefined();
    const { metadata } = value!;
    expect(Object.keys(metadata).length).toBe(200_000);
    expect([metadata['x.0'], metadata['x.255'], metadata['x.256'], metadata['x.199999']]).toEqual(['0', '255', '0', String(199_999 % 256)]);
    expect(peakGrowth).toBeLessThan(256 * MiB);
  }, 20_000);
});
