/**
 * The values a pickle is made of, as `unpickle` returns them, and the opcode
 * table it reads.
 *
 * @module
 */

/** A global admitted by the caller: called by `REDUCE`/`NEWOBJ` with the pickled arguments. */
export interface PickleCallable {
  /** `module.name` as the pickle spelled it. */
  readonly global: string;
  /** Builds the object from the pickled arguments; throws if they are not what it accepts. */
  call(args: unknown[]): unknown;
}

/** A Python tuple: frozen, so it is told apart from a list. */
export type PickleTuple = readonly unknown[];

/** Pickle opcodes by name (CPython's `pickletools`). */
export const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a, BININT1: 0x4b,
  LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52, STRING: 0x53, BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64,
  EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68, INST: 0x69, LONG_BINGET: 0x6a, LIST: 0x6c,
  EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74,
  EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47, PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84,
  TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f, ADDITEMS: 0x90,
  FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95, BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

export const OPCODE_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]));

export const tuple = (items: unknown[]): PickleTuple => Object.freeze(items);

/** Reads a little-endian two's-complement integer (`LONG1`/`LONG4`), as a number when it is a safe integer. */
export function littleEndianInt(bytes: Uint8Array): number | bigint {
  if (bytes.byteLength === 0) return 0;
  let value = 0n;
  for (let i = bytes.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.byteLength - 1] & 0x80) value -= 1n << BigInt(8 * bytes.byteLength);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** A short description of a pickled value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return Object.isFrozen(value) ? `a tuple of ${value.length}` : `a list of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'object' && 'global' in value) return (value as PickleCallable).global;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  // Objects the caller's globals build describe themselves.
  return typeof value === 'object' ? String(value) : `${typeof value} ${String(value)}`;
}
