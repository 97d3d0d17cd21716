/**
 * The ONNX messages export writes and the segmenter reads, declared by hand
 * with their field numbers from ONNX's `onnx.proto` (IR version 8+), on
 * `@bufbuild/protobuf`'s wire-format writer and reader: only what a model of
 * this library needs, no generated code.
 *
 * @module
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** `TensorProto.DataType` values used here. */
export const ONNX_DTYPE = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;

/** A constant tensor (`TensorProto`), its values little-endian in `rawData`. */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  dataType: number;
  rawData: Uint8Array;
}

/** An attribute value: `i` (int), `f` (float), `s` (string), `ints`, `floats` or `t` (tensor). */
export type OnnxAttribute =
  | { name: string; i: number }
  | { name: string; f: number }
  | { name: string; s: string }
  | { name: string; ints: readonly number[] }
  | { name: string; floats: readonly number[] }
  | { name: string; t: OnnxTensor };

/** A node (`NodeProto`) of the default (`ai.onnx`) domain. */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly OnnxAttribute[];
}

/** A graph input or output (`ValueInfoProto`) of tensor type; a string dimension is symbolic. */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: readonly (number | string)[];
}

/** The parts of a `ModelProto` this library writes. */
export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata: Readonly<Record<string, string>>;
  graph: {
    name: string;
    nodes: readonly OnnxNode[];
    initializers: readonly OnnxTensor[];
    inputs: readonly OnnxValueInfo[];
    outputs: readonly OnnxValueInfo[];
  };
}

type Write = (w: BinaryWriter) => void;
const message = (w: BinaryWriter, field: number, body: Write) => {
  w.tag(field, WireType.LengthDelimited).fork();
  body(w);
  w.join();
};
const str = (w: BinaryWriter, field: number, value: string) => w.tag(field, WireType.LengthDelimited).string(value);
const int = (w: BinaryWriter, field: number, value: number) => w.tag(field, WireType.Varint).int64(value);

const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, t: 4, floats: 6, ints: 7 } as const;

function writeTensor(w: BinaryWriter, t: OnnxTensor): void {
  for (const d of t.dims) int(w, 1, d);
  w.tag(2, WireType.Varint).int32(t.dataType);
  str(w, 8, t.name);
  w.tag(9, WireType.LengthDelimited).bytes(t.rawData);
}

function writeAttribute(w: BinaryWriter, a: OnnxAttribute): void {
  str(w, 1, a.name);
  if ('f' in a) w.tag(2, WireType.Bit32).float(a.f);
  else if ('i' in a) int(w, 3, a.i);
  else if ('s' in a) w.tag(4, WireType.LengthDelimited).bytes(new TextEncoder().encode(a.s));
  else if ('t' in a) message(w, 5, (m) => writeTensor(m, a.t));
  else if ('floats' in a) for (const f of a.floats) w.tag(7, WireType.Bit32).float(f);
  else for (const i of a.ints) int(w, 8, i);
  const type = (Object.keys(ATTRIBUTE_TYPE) as (keyof typeof ATTRIBUTE_TYPE)[]).find((k) => k in a) as keyof typeof ATTRIBUTE_TYPE;
  w.tag(20, WireType.Varint).int32(ATTRIBUTE_TYPE[type]);
}

function writeNode(w: BinaryWriter, n: OnnxNode): void {
  for (const i of n.inputs) str(w, 1, i);
  for (const o of n.outputs) str(w, 2, o);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  for (const a of n.attributes) message(w, 5, (m) => writeAttribute(m, a));
}

function writeValueInfo(w: BinaryWriter, v: OnnxValueInfo): void {
  str(w, 1, v.name);
  // TypeProto.tensor_type { elem_type, shape { dim { dim_value | dim_param } } }
  message(w, 2, (type) =>
    message(type, 1, (tensor) => {
      tensor.tag(1, WireType.Varint).int32(v.elemType);
      message(tensor, 2, (shape) => {
        for (const d of v.dims) message(shape, 1, (dim) => (typeof d === 'number' ? int(dim, 1, d) : str(dim, 2, d)));
      });
    }),
  );
}

/** The model as ONNX protobuf bytes. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new BinaryWriter();
  int(w, 1, model.irVersion);
  str(w, 2, model.producerName);
  str(w, 3, model.producerVersion);
  str(w, 6, model.docString);
  message(w, 7, (g) => {
    for (const n of model.graph.nodes) message(g, 1, (m) => writeNode(m, n));
    str(g, 2, model.graph.name);
    for (const t of model.graph.initializers) message(g, 5, (m) => writeTensor(m, t));
    for (const v of model.graph.inputs) message(g, 11, (m) => writeValueInfo(m, v));
    for (const v of model.graph.outputs) message(g, 12, (m) => writeValueInfo(m, v));
  });
  message(w, 8, (o) => {
    str(o, 1, '');
    int(o, 2, model.opset);
  });
  for (const [key, value] of Object.entries(model.metadata)) {
    message(w, 14, (e) => {
      str(e, 1, key);
      str(e, 2, value);
    });
  }
  return w.finish();
}

/** What {@link readOnnxHeader} finds: everything but the nodes and weights. */
export interface OnnxHeader {
  irVersion: number;
  opset: number | undefined;
  producerName: string;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Reads a message, handing each field with a handler to it and skipping the others. */
function read(bytes: Uint8Array, handlers: Readonly<Record<number, (r: BinaryReader) => void>>): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    const handle = handlers[field];
    if (handle) handle(r);
    else r.skip(wire, field);
  }
}

/** A `StringStringEntryProto` (metadata, external data). */
function readStringEntry(bytes: Uint8Array): { key: string; value: string } {
  const entry = { key: '', value: '' };
  read(bytes, {
    1: (e) => {
      entry.key = e.string();
    },
    2: (e) => {
      entry.value = e.string();
    },
  });
  return entry;
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const v = { name: '', elemType: 0, dims: [] as (number | string)[] };
  const dimension = (r: BinaryReader) =>
    read(r.bytes(), {
      1: (d) => v.dims.push(Number(d.int64())),
      2: (d) => v.dims.push(d.string()),
    });
  read(bytes, {
    1: (r) => {
      v.name = r.string();
    },
    // TypeProto { tensor_type { elem_type, shape { dim* } } }
    2: (type) =>
      read(type.bytes(), {
        1: (tensor) =>
          read(tensor.bytes(), {
            1: (e) => {
              v.elemType = e.int32();
            },
            2: (shape) => read(shape.bytes(), { 1: dimension }),
          }),
      }),
  });
  return v;
}

/**
 * Reads the IR version, opset, producer, metadata and graph inputs and
 * outputs of ONNX bytes, skipping nodes and weights.
 *
 * @throws If the bytes are not a protobuf message (the reader's error).
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxHeader {
  const h: OnnxHeader = { irVersion: 0, opset: undefined, producerName: '', metadata: {}, inputs: [], outputs: [] };
  read(bytes, {
    1: (r) => {
      h.irVersion = Number(r.int64());
    },
    2: (r) => {
      h.producerName = r.string();
    },
    7: (graph) =>
      read(graph.bytes(), {
        11: (r) => h.inputs.push(readValueInfo(r.bytes())),
        12: (r) => h.outputs.push(readValueInfo(r.bytes())),
      }),
    8: (r) => {
      const opset = { domain: '', version: undefined as number | undefined };
      read(r.bytes(), {
        1: (o) => {
          opset.domain = o.string();
        },
        2: (o) => {
          opset.version = Number(o.int64());
        },
      });
      if (opset.domain === '' || opset.domain === 'ai.onnx') h.opset = opset.version;
    },
    14: (r) => {
      const entry = readStringEntry(r.bytes());
      h.metadata[entry.key] = entry.value;
    },
  });
  return h;
}

/** A tensor whose data an ONNX file keeps in another file (`TensorProto.data_location = EXTERNAL`). */
export interface OnnxExternalTensor {
  /** The tensor's name. */
  name: string;
  /** Its `external_data` `location` entry: a path relative to wherever the runtime resolves it. */
  location: string;
}

/** Nesting of subgraphs (If, Loop, Scan bodies) read at most: far beyond any real model, short of the stack. */
const MAX_GRAPH_DEPTH = 64;

/**
 * The first tensor of the model that keeps its data in an external file,
 * wherever it sits: graph initializers (sparse ones too), tensor attributes
 * of nodes (Constant), subgraphs of control-flow nodes, functions and
 * training graphs. Weights and raw data are skipped, not copied.
 *
 * @throws If the bytes are not a protobuf message, or subgraphs nest deeper than {@link MAX_GRAPH_DEPTH}.
 */
export function findExternalTensor(bytes: Uint8Array): OnnxExternalTensor | undefined {
  let found: OnnxExternalTensor | undefined;
  const tensor = (b: Uint8Array) => {
    const t = { name: '', location: '', external: false };
    read(b, {
      8: (r) => {
        t.name = r.string();
      },
      13: (r) => {
        const entry = readStringEntry(r.bytes());
        if (entry.key === 'location') [t.external, t.location] = [true, entry.value];
      },
      // TensorProto.DataLocation EXTERNAL = 1
      14: (r) => {
        if (r.int32() === 1) t.external = true;
      },
    });
    if (t.external) found ??= { name: t.name, location: t.location };
  };
  const sparse = (b: Uint8Array) => read(b, { 1: (r) => tensor(r.bytes()), 2: (r) => tensor(r.bytes()) });
  const graph = (b: Uint8Array, depth: number): void => {
    if (depth > MAX_GRAPH_DEPTH) throw new Error(`subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels`);
    read(b, { 1: (r) => node(r.bytes(), depth), 5: (r) => tensor(r.bytes()), 15: (r) => sparse(r.bytes()) });
  };
  const attribute = (b: Uint8Array, depth: number) =>
    read(b, {
      5: (r) => tensor(r.bytes()),
      6: (r) => graph(r.bytes(), depth + 1),
      10: (r) => tensor(r.bytes()),
      11: (r) => graph(r.bytes(), depth + 1),
      22: (r) => sparse(r.bytes()),
      23: (r) => sparse(r.bytes()),
    });
  const node = (b: Uint8Array, depth: number) => read(b, { 5: (r) => attribute(r.bytes(), depth) });
  read(bytes, {
    7: (r) => graph(r.bytes(), 0),
    // TrainingInfoProto { initialization, algorithm }
    20: (r) => read(r.bytes(), { 1: (g) => graph(g.bytes(), 1), 2: (g) => graph(g.bytes(), 1) }),
    // FunctionProto { node = 7 }
    25: (r) => read(r.bytes(), { 7: (n) => node(n.bytes(), 1) }),
  });
  return found;
}
