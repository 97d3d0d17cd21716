/**
 * A reader for `torch.save` files (`.pth`, `.pt`) in the ZIP format PyTorch
 * has written since 1.6: `<archive>/data.pkl` (a pickle of the saved object)
 * and one record `<archive>/data/<key>` per tensor storage, raw
 * little-endian.
 *
 * **Safety.** A `.pth` file can carry code: `torch.load` without
 * `weights_only=True` runs whatever the pickle names. This reader runs
 * nothing. Its pickle interpreter admits only the globals a file of tensors
 * needs — `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
 * `torch._utils._rebuild_parameter` and the storage types of float32,
 * float16, bfloat16, float64 and int64 tensors — each implemented here, and
 * refuses any other global (say `posix.system`) by name. Every record's size
 * and every view's extent is checked before a byte is read.
 *
 * The result has the shape of a parsed safetensors file (tensors by name,
 * dtype, shape and bytes; metadata), so weight loaders take either format.
 *
 * @module
 */
import { readFileBytes } from './node-files.js';
import { unpickle } from './pickle.js';
import { describe } from './pickle-values.js';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsFile, type SafetensorsTensor } from './safetensors.js';
import { findGlobal, openStorage, type Storage, TensorView } from './torch-pickle.js';
import { looksLikeZip, readZipEntries, storedData, type ZipEntry } from './zip-archive.js';

/**
 * A `torch.save` file's tensors by name — the keys of the saved dict, nested
 * dicts and lists joined with dots (`model.layer1.0.conv1.weight` for
 * `{'model': state_dict}`) — and its other values (numbers, strings,
 * booleans, `None`) as strings under the same kind of name.
 */
export type TorchCheckpoint = SafetensorsFile;

/** Limit on the tensors and values one file may describe: a guard against pickles that share objects exponentially. */
const MAX_LEAVES = 1_000_000;
/** Limit on the copy of one strided view: a view of a few bytes with stride 0 could otherwise ask for any size. */
const MAX_VIEW_BYTES = 2 ** 30;

/** The re-save command the legacy-format error suggests (`weights_only` loads it without running code, PyTorch ≥ 1.13). */
export const TORCH_RESAVE_COMMAND =
  "python3 -c \"import torch; torch.save(torch.load('old.pth', map_location='cpu', weights_only=True), 'new.pth')\"";

/** The view's values, contiguous: a view into the storage when already contiguous, else a copy. */
function materialise(view: TensorView): Uint8Array {
  const { storage, offset, shape, stride } = view;
  const size = SAFETENSORS_DTYPE_BYTES[storage.dtype];
  const numel = shape.reduce((a, b) => a * b, 1);
  let expected = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
    expected *= shape[i];
  }
  if (contiguous || numel === 0) return storage.data.subarray(offset * size, (offset + numel) * size);
  if (numel * size > MAX_VIEW_BYTES) {
    throw new Error(`a strided view of shape [${shape}] over ${storage} would copy ${numel * size} bytes, more than the ${MAX_VIEW_BYTES} admitted`);
  }
  const out = new Uint8Array(numel * size);
  const index = new Array<number>(shape.length).fill(0);
  let source = offset;
  for (let n = 0; n < numel; n++) {
    out.set(storage.data.subarray(source * size, (source + 1) * size), n * size);
    // Odometer over the index, moving the source position by each axis's stride.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      if (++index[axis] < shape[axis]) {
        source += stride[axis];
        break;
      }
      source -= (shape[axis] - 1) * stride[axis];
      index[axis] = 0;
    }
  }
  return out;
}

function flatten(root: unknown, source: string): TorchCheckpoint {
  if (!(root instanceof Map)) {
    throw new Error(`torch checkpoint ${source}: holds ${describe(root)}, not a dict of tensors; save a state_dict() (or a dict holding one)`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  const metadata: Record<string, string> = {};
  const visiting = new Set<unknown>();
  let leaves = 0;
  const visit = (value: unknown, name: string) => {
    if (++leaves > MAX_LEAVES) throw new Error(`torch checkpoint ${source}: more than ${MAX_LEAVES} values; refused`);
    if (value instanceof Map || Array.isArray(value)) {
      if (visiting.has(value)) throw new Error(`torch checkpoint ${source}: "${name}" contains itself`);
      visiting.add(value);
      const items: Iterable<[unknown, unknown]> = value instanceof Map ? value : value.entries();
      for (const [key, item] of items) {
        if (typeof key !== 'string' && typeof key !== 'number') {
          throw new Error(`torch checkpoint ${source}: "${name}" has a key that is ${describe(key)}, not a string or number`);
        }
        visit(item, name === '' ? String(key) : `${name}.${key}`);
      }
      visiting.delete(value);
      return;
    }
    if (tensors.has(name) || Object.hasOwn(metadata, name)) throw new Error(`torch checkpoint ${source}: two values are named "${name}"`);
    if (value instanceof TensorView) {
      let data: Uint8Array;
      try {
        data = materialise(value);
      } catch (e) {
        throw new Error(`torch checkpoint ${source}: "${name}": ${(e as Error).message}`);
      }
      tensors.set(name, { name, dtype: value.storage.dtype, shape: value.shape, data });
    } else if (value instanceof Uint8Array || (typeof value === 'object' && value !== null)) {
      throw new Error(`torch checkpoint ${source}: "${name}" is ${describe(value)}, not a tensor or a plain value`);
    } else {
      metadata[name] = value === null ? 'None' : String(value);
    }
  };
  visit(root, '');
  return { tensors, metadata };
}

function archivePrefix(records: Map<string, ZipEntry>, source: string): string {
  const pickles = [...records.keys()].filter((n) => /^([^/]+\/)?data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw new Error(`torch checkpoint ${source}: expected one <archive>/data.pkl in the ZIP archive, found ${pickles.length}; is it a torch.save file?`);
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  if (records.has(`${prefix}constants.pkl`) || [...records.keys()].some((n) => n.startsWith(`${prefix}code/`))) {
    throw new Error(
      `torch checkpoint ${source}: is a TorchScript archive (torch.jit.save), whose pickle names its own classes; ` +
        'save the weights instead: torch.save(model.state_dict(), "weights.pth")',
    );
  }
  const order = records.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(storedData(order, source)) !== 'little') {
    throw new Error(`torch checkpoint ${source}: stores big-endian data; re-save it on a little-endian machine`);
  }
  return prefix;
}

/**
 * Whether `bytes` are in `torch.save`'s legacy format: a sequence of pickles
 * opening with PyTorch's magic number (a protocol-2 `LONG1` of 10 bytes), or
 * a tar archive (before PyTorch 0.4).
 */
function isLegacyTorchSave(bytes: Uint8Array): boolean {
  const pickled = bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
  return pickled || new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
}

/** Whether `bytes` look like a `torch.save` file, current or legacy (the magic bytes, not a full check). */
export function isTorchSaveFile(bytes: Uint8Array): boolean {
  return looksLikeZip(bytes) || isLegacyTorchSave(bytes);
}

/**
 * Parses a `torch.save` file held in memory into named tensors (see
 * {@link readTorchCheckpoint}).
 *
 * @param source A name for the file (its path), used in error messages.
 */
export function parseTorchCheckpoint(bytes: Uint8Array, source = '<bytes>'): TorchCheckpoint {
  if (!looksLikeZip(bytes)) {
    throw new Error(
      isLegacyTorchSave(bytes)
        ? `torch checkpoint ${source}: is in PyTorch's legacy (pre-1.6) format, which can only be read by running its pickle; ` +
            `re-save it in the zip format with PyTorch 1.13 or later: ${TORCH_RESAVE_COMMAND}`
        : `torch checkpoint ${source}: is not a torch.save file (no ZIP archive and no legacy pickle)`,
    );
  }
  const records = readZipEntries(bytes, source);
  const prefix = archivePrefix(records, source);
  const storages = new Map<string, Storage>();
  const root = unpickle(storedData(records.get(`${prefix}data.pkl`)!, source), {
    source: `${source}:${prefix}data.pkl`,
    findGlobal,
    persistentLoad: (pid) => openStorage(records, source, prefix, pid, storages),
    // A state_dict's OrderedDict carries `_metadata` (module versions) as instance state.
    build(target, state) {
      if (!(target instanceof Map) || !(state instanceof Map || state === null)) {
        throw new Error(`cannot set the state of ${describe(target)} to ${describe(state)}`);
      }
    },
  });
  return flatten(root, source);
}

/**
 * Reads a `torch.save` file (PyTorch ≥ 1.6's ZIP format) into named tensors
 * without PyTorch and without running any of its code; see the module notes
 * for what is admitted. Contiguous tensors are views into the file's bytes;
 * strided views (slices, transposes) are copied out contiguously.
 *
 * @param source A file path (Node.js) or the file's bytes.
 * @returns Tensors by dotted name (`dtype` F32, F16, BF16, F64 or I64, as in
 *   safetensors), and the other values of the saved dicts as `metadata`.
 * @throws Naming the file and what is wrong: a legacy (pre-1.6) file (with
 *   the command that re-saves it), a global outside the allow-list (nothing
 *   is run), a truncated archive, a record whose size differs from its
 *   storage's, a view that runs past its storage.
 *
 * @example
 * ```ts
 * const { tensors } = await readTorchCheckpoint('deeplabv3_mobilenet_v3_large-fc3c493d.pth');
 * console.log(tensors.get('classifier.4.weight')?.shape); // [21, 256, 1, 1]
 * ```
 */
export async function readTorchCheckpoint(source: string | Uint8Array): Promise<TorchCheckpoint> {
  if (typeof source !== 'string') return parseTorchCheckpoint(source);
  return parseTorchCheckpoint(await readFileBytes(source, 'torch checkpoint'), source);
}
