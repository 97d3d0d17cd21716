/**
 * A Python pickle interpreter that executes nothing: it rebuilds plain data
 * (None, bools, ints, floats, strings, bytes, tuples, lists, dicts, sets) and
 * hands every global the pickle names to the caller's allow-list, which
 * either returns a {@link PickleCallable} implemented in TypeScript or
 * refuses. So a pickle that names `os.system`, `builtins.eval` or any class
 * the caller does not know fails at that opcode, naming it, before anything
 * could run.
 *
 * Covers the opcodes of protocols 2–5 that pickles of data use (what
 * `torch.save` and Python's own pickler emit for dicts of tensors and
 * numbers); the text opcodes of protocol 0 and instance-building ones
 * (`INST`, `OBJ`, `NEWOBJ_EX`, extension registry) are refused by name.
 * Every length is checked against the input before it is read, and integers
 * wider than {@link MAX_PICKLE_INT_BYTES} are refused before decoding. The
 * interpreter is a loop over opcodes with no recursion, so neither a deep nor a
 * wide pickle overflows the call stack.
 *
 * @module
 */

import { describe, littleEndianInt, OP, OPCODE_NAMES, type PickleCallable, tuple } from './pickle-values.js';

/**
 * Widest `LONG1`/`LONG4` integer admitted, in bytes. A file of tensors holds
 * sizes, offsets and counters, int64 at most (9 bytes in pickle's signed
 * encoding); decoding a wider one into a BigInt costs time quadratic in its
 * width (a 1 MB integer: minutes), so wider ones are refused before decoding.
 */
export const MAX_PICKLE_INT_BYTES = 32;

/** What {@link unpickle} needs from its caller. */
export interface UnpickleOptions {
  /** Resolves a global; throw to refuse it (every global not admitted must be refused). */
  findGlobal(module: string, name: string): PickleCallable;
  /** Resolves a persistent id (`BINPERSID`); throw to refuse it. */
  persistentLoad(pid: unknown): unknown;
  /** Applies a `BUILD` state to an object; throw to refuse it. Default: refuse. */
  build?(target: unknown, state: unknown): void;
  /** Name of the pickle in error messages. */
  source: string;
}

/**
 * Interprets a pickle and returns the object it describes.
 *
 * @throws Naming the source, the opcode and its byte offset, for an opcode
 *   outside the supported set, a global the caller refuses, a read past the
 *   end, or a malformed stack.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let at = 0;
  let opStart = 0;
  let opcode = 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (message: string): never => {
    const op = OPCODE_NAMES.get(opcode) ?? `0x${opcode.toString(16).padStart(2, '0')}`;
    throw new Error(`pickle ${options.source}: ${op} at byte ${opStart}: ${message}`);
  };
  const take = (n: number): Uint8Array => {
    if (!(n >= 0) || at + n > bytes.byteLength) fail(`needs ${n} more bytes but the pickle ends at byte ${bytes.byteLength} (truncated?)`);
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  /** Position of the next `n` bytes, which are skipped. */
  const skip = (n: number): number => take(n).byteOffset - bytes.byteOffset;
  const u8 = () => take(1)[0];
  const u32 = () => view.getUint32(skip(4), true);
  const u64 = () => {
    const v = view.getBigUint64(skip(8), true);
    if (v > BigInt(bytes.byteLength)) fail(`length ${v} is longer than the whole pickle`);
    return Number(v);
  };
  /** The size prefix of the current opcode's argument: one byte for the SHORT_ and LONG1 forms, eight for the 8 forms. */
  const length = (): number => {
    if ([OP.SHORT_BINUNICODE, OP.SHORT_BINSTRING, OP.SHORT_BINBYTES, OP.LONG1].includes(opcode as never)) return u8();
    return opcode === OP.BINUNICODE8 || opcode === OP.BINBYTES8 ? u64() : u32();
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail('line without a newline');
    return latin1.decode(take(end - at + 1).subarray(0, -1));
  };
  const pop = (): unknown => (stack.length > 0 ? stack.pop() : fail('stack is empty'));
  const top = (): unknown => (stack.length > 0 ? stack[stack.length - 1] : fail('stack is empty'));
  const popMark = (): unknown[] => {
    const items = stack;
    stack = marks.pop() ?? fail('no MARK to pop to');
    return items;
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const callable = (value: unknown): PickleCallable =>
    value !== null && typeof value === 'object' && typeof (value as PickleCallable).call === 'function' && 'global' in value
      ? (value as PickleCallable)
      : fail(`cannot call ${describe(value)}`);
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail(`cannot set items of ${describe(target)}`);
    if (items.length % 2) fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail(`cannot append to ${describe(target)}`);
    // One at a time: spreading 200k items as arguments overflows the stack.
    for (const item of items) (target as unknown[]).push(item);
  };
  const resolve = (module: string, name: string) => {
    try {
      return options.findGlobal(module, name);
    } catch (e) {
      return fail((e as Error).message);
    }
  };

  while (true) {
    opStart = at;
    if (at >= bytes.byteLength) {
      opcode = 0;
      fail('the pickle ends without STOP (truncated?)');
    }
    opcode = bytes[at++];
    switch (opcode) {
      case OP.PROTO:
        if (u8() > 5) fail('protocol newer than 5');
        break;
      case OP.FRAME: // a length hint only
        take(8);
        break;
      case OP.STOP:
        if (marks.length > 0) fail('unclosed MARK');
        return pop();
      case OP.MARK:
        marks.push(stack);
        stack = [];
        break;
      case OP.POP:
        pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      case OP.NONE:
      case OP.NEWTRUE:
      case OP.NEWFALSE:
        stack.push(opcode === OP.NONE ? null : opcode === OP.NEWTRUE);
        break;
      case OP.BININT:
        stack.push(view.getInt32(skip(4), true));
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(view.getUint16(skip(2), true));
        break;
      case OP.LONG1:
      case OP.LONG4: {
        const n = length();
        if (n > MAX_PICKLE_INT_BYTES) fail(`an integer of ${n} bytes; a file of tensors holds none wider than ${MAX_PICKLE_INT_BYTES}, refused`);
        stack.push(littleEndianInt(take(n)));
        break;
      }
      case OP.BINFLOAT:
        stack.push(view.getFloat64(skip(8), false));
        break;
      case OP.BINUNICODE:
      case OP.SHORT_BINUNICODE:
      case OP.BINUNICODE8:
        stack.push(text(take(length())));
        break;
      // Python 2 byte strings, read as Latin-1 as Python 3 does.
      case OP.BINSTRING:
      case OP.SHORT_BINSTRING:
        stack.push(latin1.decode(take(length())));
        break;
      case OP.BINBYTES:
      case OP.SHORT_BINBYTES:
      case OP.BINBYTES8:
        stack.push(take(length()).slice());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(tuple([]));
        break;
      case OP.TUPLE:
      case OP.FROZENSET: {
        // popMark() first: it replaces `stack`.
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = opcode - OP.TUPLE1 + 1;
        if (stack.length < n) fail(`needs ${n} items on the stack`);
        stack.push(tuple(stack.splice(-n)));
        break;
      }
      case OP.EMPTY_LIST:
      case OP.EMPTY_SET: // a set is read as a list, order kept
        stack.push([]);
        break;
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.APPEND: {
        const item = pop();
        append(top(), [item]);
        break;
      }
      case OP.APPENDS:
      case OP.ADDITEMS: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.BINPUT:
      case OP.LONG_BINPUT:
        memo.set(opcode === OP.BINPUT ? u8() : u32(), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const index = opcode === OP.BINGET ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
        stack.push(memo.get(index));
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('module and name must be strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case OP.REDUCE:
      case OP.NEWOBJ: {
        const args = pop();
        const f = callable(pop());
        if (!Array.isArray(args)) fail(`arguments of ${f.global} are ${describe(args)}, not a tuple`);
        try {
          stack.push(f.call(args as unknown[]));
        } catch (e) {
          fail(`${f.global}: ${(e as Error).message}`);
        }
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const target = top();
        if (!options.build) fail(`cannot set the state of ${describe(target)}`);
        try {
          options.build!(target, state);
        } catch (e) {
          fail((e as Error).message);
        }
        break;
      }
      case OP.BINPERSID:
        try {
          stack.push(options.persistentLoad(pop()));
        } catch (e) {
          fail((e as Error).message);
        }
        break;
      default:
        fail(
          OPCODE_NAMES.has(opcode)
            ? 'this opcode builds objects or uses the text protocol, neither of which a file of tensors needs; refused'
            : 'unknown opcode (corrupt file?)',
        );
    }
  }
}
