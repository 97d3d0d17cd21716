import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, safetensorsToFloat32 } from './safetensors.js';
import { parseWeightFile, readWeightFile } from './tensor-files.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint.js';
import { readZipEntries } from './zip-archive.js';

// Made by scripts/fixtures/torch_checkpoints.py with PyTorch 1.13.
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'torch-checkpoints');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const MARKER = '/tmp/seg-pth-fixture-was-executed';

/** A ZIP archive of stored entries, optionally with every size and offset in ZIP64 fields, as a crafted file would be. */
function storedZip(entries: Record<string, Uint8Array>, zip64 = false): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const le = (size: number, value: number | bigint) => {
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    if (size === 2) v.setUint16(0, Number(value), true);
    else if (size === 4) v.setUint32(0, Number(value), true);
    else v.setBigUint64(0, BigInt(value), true);
    return b;
  };
  const cat = (...xs: Uint8Array[]) => {
    const out = new Uint8Array(xs.reduce((n, x) => n + x.byteLength, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x, at);
      at += x.byteLength;
    }
    return out;
  };
  for (const [name, data] of Object.entries(entries)) {
    const nameBytes = new TextEncoder().encode(name);
    const local = cat(le(4, 0x04034b50), le(2, 20), le(2, 0), le(2, 0), le(4, 0), le(4, 0), le(4, data.byteLength), le(4, data.byteLength), le(2, nameBytes.byteLength), le(2, 0), nameBytes);
    const extra = zip64 ? cat(le(2, 1), le(2, 24), le(8, data.byteLength), le(8, data.byteLength), le(8, offset)) : new Uint8Array(0);
    const wide = (v: number) => le(4, zip64 ? 0xffffffff : v);
    central.push(
      cat(le(4, 0x02014b50), le(2, 45), le(2, 45), le(2, 0), le(2, 0), le(4, 0), le(4, 0), wide(data.byteLength), wide(data.byteLength), le(2, nameBytes.byteLength), le(2, extra.byteLength), le(2, 0), le(2, 0), le(2, 0), le(4, 0), wide(offset), nameBytes, extra),
    );
    parts.push(local, data);
    offset += local.byteLength + data.byteLength;
  }
  const directory = cat(...central);
  const count = Object.keys(entries).length;
  const eocd64 = zip64
    ? cat(le(4, 0x06064b50), le(8, 44), le(2, 45), le(2, 45), le(4, 0), le(4, 0), le(8, count), le(8, count), le(8, directory.byteLength), le(8, offset), le(4, 0x07064b50), le(4, 0), le(8, offset + directory.byteLength), le(4, 1))
    : new Uint8Array(0);
  const eocd = cat(le(4, 0x06054b50), le(2, 0), le(2, 0), le(2, zip64 ? 0xffff : count), le(2, zip64 ? 0xffff : count), le(4, zip64 ? 0xffffffff : directory.byteLength), le(4, zip64 ? 0xffffffff : offset), le(2, 0));
  return cat(...parts, directory, eocd64, eocd);
}

/** A protocol-2 pickle from opcodes and strings (strings as SHORT_BINUNICODE). */
function pickle(...ops: Array<number | string>): Uint8Array {
  const bytes: number[] = [0x80, 2];
  for (const op of ops) {
    if (typeof op === 'number') bytes.push(op);
    else {
      const s = new TextEncoder().encode(op);
      bytes.push(0x8c, s.byteLength, ...s);
    }
  }
  bytes.push(0x2e);
  return new Uint8Array(bytes);
}
const GLOBAL = (module: string, name: string) => [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)];
const EMPTY_DICT = 0x7d;
const REDUCE = 0x52;
const EMPTY_TUPLE = 0x29;
const SETITEM = 0x73;

const archive = (pkl: Uint8Array, records: Record<string, Uint8Array> = {}, zip64 = false) =>
  storedZip({ 'archive/data.pkl': pkl, ...Object.fromEntries(Object.entries(records).map(([k, v]) => [`archive/data/${k}`, v])) }, zip64);

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
    const bytes = archive(pickle(EMPTY_DICT, 'x', ...GLOBAL(module, name), EMPTY_TUPLE, REDUCE, SETITEM));
    expect(() => parseTorchCheckpoint(bytes, 'crafted.pth')).toThrow(`global ${module}.${name} is not allowed`);
  });

  it('refuses a global reached through STACK_GLOBAL, and instance-building opcodes', () => {
    const stackGlobal = archive(pickle(EMPTY_DICT, 'x', 'subprocess', 'Popen', 0x93, EMPTY_TUPLE, REDUCE, SETITEM));
    expect(() => parseTorchCheckpoint(stackGlobal)).toThrow('global subprocess.Popen is not allowed');
    const inst = archive(pickle(0x28, 0x69, ...new TextEncoder().encode('os\nsystem\n')));
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
    // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), offset, size, stride, False, OrderedDict())}
    // Integers as BININT (4 bytes, little-endian).
    const int = (v: number) => [0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
    const tensor = (numel: number, offset: number, size: number[], stride: number[]) =>
      pickle(
        EMPTY_DICT, 'w', ...GLOBAL('torch._utils', '_rebuild_tensor_v2'), 0x28,
        0x28, 'storage', ...GLOBAL('torch', 'FloatStorage'), '0', 'cpu', ...int(numel), 0x74, 0x51,
        ...int(offset), 0x28, ...size.flatMap(int), 0x74, 0x28, ...stride.flatMap(int), 0x74,
        0x89, ...GLOBAL('collections', 'OrderedDict'), EMPTY_TUPLE, REDUCE, 0x74, REDUCE, SETITEM,
      );
    const ok = parseTorchCheckpoint(archive(tensor(4, 1, [3], [1]), { 0: f32 }));
    expect(Array.from(safetensorsToFloat32(ok.tensors.get('w')!))).toEqual([2, 3, 4]);
    const reversed = parseTorchCheckpoint(archive(tensor(4, 0, [2, 2], [1, 2]), { 0: f32 }));
    expect(Array.from(safetensorsToFloat32(reversed.tensors.get('w')!))).toEqual([1, 3, 2, 4]);
    expect(() => parseTorchCheckpoint(archive(tensor(4, 2, [3], [1]), { 0: f32 }), 'x.pth')).toThrow(
      /a view of size \[3\], stride \[1\] at offset 2 reaches element 4 of storage 0, which has 4/,
    );
    expect(() => parseTorchCheckpoint(archive(tensor(4, 0, [2, 2], [2, 2]), { 0: f32 }))).toThrow(/reaches element 4/);
    expect(() => parseTorchCheckpoint(archive(tensor(4, 0, [4], [1]), {}), 'x.pth')).toThrow(/record archive\/data\/0 of storage 0 is missing/);
    // Stride 0 over one value: a few bytes in the file, 4 GiB if copied out.
    expect(() => parseTorchCheckpoint(archive(tensor(4, 0, [2 ** 30], [0]), { 0: f32 }), 'x.pth')).toThrow(
      /x\.pth: "w": a strided view of shape \[1073741824\] over storage 0 would copy 4294967296 bytes, more than the 1073741824 admitted/,
    );
  });

  it('reads an archive whose sizes and offsets are in ZIP64 fields', () => {
    const pkl = pickle(EMPTY_DICT, 'epoch', 0x4b, 3, SETITEM);
    expect(parseTorchCheckpoint(archive(pkl, {}, true)).metadata).toEqual({ epoch: '3' });
    expect([...readZipEntries(archive(pkl, { 0: new Uint8Array(5) }, true)).keys()]).toEqual(['archive/data.pkl', 'archive/data/0']);
  });

  it('refuses a truncated pickle and a compressed entry', () => {
    const pkl = pickle(EMPTY_DICT, 'epoch', 0x4b, 3, SETITEM);
    expect(() => parseTorchCheckpoint(archive(pkl.subarray(0, 8)), 'x.pth')).toThrow(/SHORT_BINUNICODE at byte 3: needs 5 more bytes .*truncated/);
    const zip = archive(pkl);
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
