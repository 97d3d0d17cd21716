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
 * **Bounds.** A small file cannot make the reader take unbounded memory or
 * time: strided views share one budget of copied bytes per file (twice its
 * size plus 64 MiB, see `torch-views.ts`), pickle integers are at most 32
 * bytes, tensors at most 64 dimensions, and the saved object at most 64
 * dicts and lists deep, 1M values and 2^25 characters of names in all. Each
 * limit is refused by name.
 *
 * The result has the shape of a parsed safetensors file (tensors by name,
 * dtype, shape and bytes; metadata), so weight loaders take either format.
 *
 * @module
 */
import { readFileBytes } from './node-files.js';
import { unpickle } from './pickle.js';
import { describe } from './pickle-values.js';
import type { SafetensorsFile, SafetensorsTensor } from './safetensors.js';
import { findGlobal, openStorage, type Storage, TensorView } from './torch-pickle.js';
import { ViewCopies, viewCopyBudget } from './torch-views.js';
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
/**
 * Limit on the characters of all names together (every dotted name built,
 * of dicts and lists too). A dict shared through the pickle's memo costs 2
 * bytes a share but is named again under every path: a 2 MB file could
 * otherwise ask for 10 GB of names.
 */
const MAX_NAME_CHARS = 2 ** 25;
/** Limit on nested dicts and lists: a checkpoint nests a few levels; a pickle nests as deep as it likes for a byte a level. */
const MAX_DEPTH = 64;

/** The re-save command the legacy-format error suggests (`weights_only` loads it without running code, PyTorch ≥ 1.13). */
export const TORCH_RESAVE_COMMAND =
  "python3 -c \"import torch; torch.save(torch.load('old.pth', map_location='cpu', weights_only=True), 'new.pth')\"";

/** A name for error messages, cut short. */
const shortName = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/** A dict or list being flattened, and where its iteration stands. */
interface Frame {
  container: Map<unknown, unknown> | unknown[];
  name: string;
  items: Iterator<[unknown, unknown]>;
}

/**
 * Names every value of the saved dict by its dotted path. Iterative, with a
 * stack of frames rather than recursion, so no nesting overflows the call
 * stack; depth, values and name length are capped by name.
 */
function flatten(root: unknown, source: string, views: ViewCopies): TorchCheckpoint {
  if (!(root instanceof Map)) {
    throw new Error(`torch checkpoint ${source}: holds ${describe(root)}, not a dict of tensors; save a state_dict() (or a dict holding one)`);
  }
  const refuse = (message: string): never => {
    throw new Error(`torch checkpoint ${source}: ${message}`);
  };
  const tensors = new Map<string, SafetensorsTensor>();
  const metadata: Record<string, string> = {};
  // The containers on the current path: a container inside itself is a cycle.
  const visiting = new Set<unknown>();
  const frames: Frame[] = [];
  let leaves = 0;
  let nameChars = 0;
  const enter = (container: Map<unknown, unknown> | unknown[], name: string) => {
    if (visiting.has(container)) refuse(`${shortName(name)} contains itself`);
    if (frames.length >= MAX_DEPTH) refuse(`${shortName(name)} nests dicts and lists more than ${MAX_DEPTH} deep; refused`);
    visiting.add(container);
    frames.push({ container, name, items: container.entries() });
  };
  const leaf = (value: unknown, name: string) => {
    if (tensors.has(name) || Object.hasOwn(metadata, name)) refuse(`two values are named ${shortName(name)}`);
    if (value instanceof TensorView) {
      let data: Uint8Array;
      try {
        data = views.read(value);
      } catch (e) {
        return refuse(`${shortName(name)}: ${(e as Error).message}`);
      }
      tensors.set(name, { name, dtype: value.storage.dtype, shape: value.shape, data });
    } else if (value instanceof Uint8Array || (typeof value === 'object' && value !== null)) {
      refuse(`${shortName(name)} is ${describe(value)}, not a tensor or a plain value`);
    } else {
      metadata[name] = value === null ? 'None' : String(value);
    }
  };
  enter(root, '');
  while (frames.length > 0) {
    const frame = frames[frames.length - 1];
    const next = frame.items.next();
    if (next.done) {
      visiting.delete(frame.container);
      frames.pop();
      continue;
    }
    const [key, item] = next.value;
    if (typeof key !== 'string' && typeof key !== 'number') refuse(`${shortName(frame.name)} has a key that is ${describe(key)}, not a string or number`);
    const part = String(key);
    // Counted before the name is built, so an oversized name is never allocated.
    nameChars += frame.name.length + 1 + part.length;
    if (nameChars > MAX_NAME_CHARS) {
      refuse(`its names would take more than ${MAX_NAME_CHARS} characters (at ${shortName(frame.name)}; a dict shared many times?); refused`);
    }
    if (++leaves > MAX_LEAVES) refuse(`more than ${MAX_LEAVES} values; refused`);
    const name = frame.name === '' ? part : `${frame.name}.${part}`;
    if (item instanceof Map || Array.isArray(item)) enter(item, name);
    else leaf(item, name);
  }
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
  return flatten(root, source, new ViewCopies(viewCopyBudget(bytes.byteLength)));
}

/**
 * Reads a `torch.save` file (PyTorch ≥ 1.6's ZIP format) into named tensors
 * without PyTorch and without running any of its code; see the module notes
 * for what is admitted. Contiguous tensors are views into the file's bytes;
 * strided views (slices, transposes) are copied out contiguously, once per
 * distinct view, within the file's copy budget.
 *
 * @param source A file path (Node.js) or the file's bytes.
 * @returns Tensors by dotted name (`dtype` F32, F16, BF16, F64 or I64, as in
 *   safetensors), and the other values of the saved dicts as `metadata`.
 * @throws Naming the file and what is wrong: a legacy (pre-1.6) file (with
 *   the command that re-saves it), a global outside the allow-list (nothing
 *   is run), a truncated archive, a record whose size differs from its
 *   storage's, a view that runs past its storage, or a limit of the module
 *   notes' **Bounds** passed.
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
