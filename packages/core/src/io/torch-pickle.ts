/**
 * The allow-list of the `.pth` reader: the few globals a pickled dict of
 * tensors names, implemented here, and the storages its persistent ids
 * point to, checked against their records. Any other global is refused by
 * name.
 *
 * @module
 */
import { describe, type PickleCallable } from './pickle-values.js';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDtype } from './safetensors.js';
import { storedData, type ZipEntry } from './zip-archive.js';

/** The storage types admitted, by `torch.<name>`, and the tensor dtype each holds. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
};

/** A storage record of the archive, checked against its declared type and size. */
export class Storage {
  constructor(
    readonly key: string,
    readonly dtype: SafetensorsDtype,
    readonly numel: number,
    readonly data: Uint8Array,
  ) {}

  toString(): string {
    return `storage ${this.key}`;
  }
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TensorView {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  toString(): string {
    return `a tensor of shape [${this.shape.join(', ')}]`;
  }
}

/**
 * Most dimensions a tensor may have. Weight tensors have a handful; without a
 * cap, a pickle could rebuild one memoised 100k-dimension size tuple a
 * million times at a few bytes each, and every rebuild walks its size.
 */
export const MAX_TENSOR_RANK = 64;

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function intTuple(value: unknown, what: string): number[] {
  if (Array.isArray(value) && value.length > MAX_TENSOR_RANK) throw new Error(`${what} has ${value.length} dimensions, more than the ${MAX_TENSOR_RANK} admitted`);
  if (!Array.isArray(value) || !value.every(isInt)) throw new Error(`${what} is ${describe(value)}; expected a tuple of non-negative integers`);
  return [...value];
}

function emptyHooks(value: unknown): void {
  if (!(value instanceof Map) || value.size > 0) throw new Error(`backward hooks are ${describe(value)}; only an empty OrderedDict is admitted`);
}

/** `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: unknown[]): TensorView {
  const [storage, offset, size, stride, , hooks] = args;
  if (args.length < 6 || args.length > 7) throw new Error(`expected 6 or 7 arguments, got ${args.length}`);
  if (!(storage instanceof Storage)) throw new Error(`first argument is ${describe(storage)}; expected a storage`);
  if (!isInt(offset)) throw new Error(`storage offset is ${describe(offset)}; expected a non-negative integer`);
  const shape = intTuple(size, 'size');
  const strides = intTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`size [${shape}] and stride [${strides}] differ in length`);
  emptyHooks(hooks);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel)) throw new Error(`size [${shape}] is too large`);
  const last = offset + shape.reduce((sum, d, i) => sum + (d - 1) * strides[i], 0);
  if (numel > 0 && last >= storage.numel) {
    throw new Error(
      `a view of size [${shape}], stride [${strides}] at offset ${offset} reaches element ${last} of ${storage}, which has ${storage.numel}`,
    );
  }
  return new TensorView(storage, offset, shape, strides);
}

/** `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`: an `nn.Parameter` is read as its tensor. */
function rebuildParameter(args: unknown[]): TensorView {
  const [data, , hooks] = args;
  if (args.length !== 3 || !(data instanceof TensorView)) throw new Error(`expected (tensor, requires_grad, hooks), got ${args.length} arguments`);
  emptyHooks(hooks);
  return data;
}

const storageType = (name: string, dtype: SafetensorsDtype): PickleCallable & { dtype: SafetensorsDtype } => ({
  global: `torch.${name}`,
  dtype,
  call: () => {
    throw new Error('a storage type is only read inside a persistent id');
  },
});

const ALLOWED: ReadonlyMap<string, PickleCallable> = new Map<string, PickleCallable>([
  ['collections.OrderedDict', { global: 'collections.OrderedDict', call: (args) => orderedDict(args) }],
  ['torch._utils._rebuild_tensor_v2', { global: 'torch._utils._rebuild_tensor_v2', call: rebuildTensor }],
  ['torch._utils._rebuild_parameter', { global: 'torch._utils._rebuild_parameter', call: rebuildParameter }],
  ...Object.entries(TORCH_STORAGE_DTYPES).map(([name, dtype]): [string, PickleCallable] => [`torch.${name}`, storageType(name, dtype)]),
]);

function orderedDict(args: unknown[]): Map<unknown, unknown> {
  if (args.length > 0) throw new Error('only OrderedDict() without arguments is admitted');
  return new Map();
}

/** The allow-list: resolves an admitted global, refuses any other naming it. */
export function findGlobal(module: string, name: string): PickleCallable {
  const found = ALLOWED.get(`${module}.${name}`);
  if (!found) {
    throw new Error(
      `global ${module}.${name} is not allowed: a file of tensors needs only ${[...ALLOWED.keys()].join(', ')}; ` +
        'this file may carry code, and nothing in it was run',
    );
  }
  return found;
}

/** Checks a record's length against its storage's and wraps it (a persistent id's target). */
export function openStorage(records: Map<string, ZipEntry>, source: string, prefix: string, pid: unknown, storages: Map<string, Storage>): Storage {
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
    throw new Error(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`);
  }
  const [, type, key, , numel] = pid as unknown[];
  const dtype = (type as { dtype?: SafetensorsDtype } | null)?.dtype;
  if (!dtype) throw new Error(`storage type ${describe(type)} is not one of ${Object.keys(TORCH_STORAGE_DTYPES).join(', ')}`);
  if (typeof key !== 'string' || !isInt(numel)) throw new Error(`storage key ${describe(key)} / size ${describe(numel)} are malformed`);
  const known = storages.get(key);
  if (known) {
    if (known.dtype !== dtype || known.numel !== numel) throw new Error(`storage ${key} is used as two different types or sizes`);
    return known;
  }
  const name = `${prefix}data/${key}`;
  const record = records.get(name);
  if (!record) throw new Error(`record ${name} of storage ${key} is missing from the archive`);
  const data = storedData(record, source);
  const needed = numel * SAFETENSORS_DTYPE_BYTES[dtype];
  if (data.byteLength < needed) {
    throw new Error(`record ${name} has ${data.byteLength} bytes, but its ${numel} ${dtype} values need ${needed} (truncated record)`);
  }
  if (data.byteLength > needed) {
    throw new Error(`record ${name} has ${data.byteLength} bytes, more than the ${needed} its ${numel} ${dtype} values need (oversized record)`);
  }
  const storage = new Storage(key, dtype, numel, data);
  storages.set(key, storage);
  return storage;
}

