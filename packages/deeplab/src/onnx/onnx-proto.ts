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

/** Reads the length-delimited fields of a message, calling `onField` for those it wants. */
function fields(bytes: Uint8Array, onField: (field: number, reader: BinaryReader, wire: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (!onField(field, r, wire)) r.skip(wire, field);
  }
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: [] };
  const dims: (number | string)[] = [];
  fields(bytes, (f, r) => {
    if (f === 1) v.name = r.string();
    else if (f === 2) {
      fields(r.bytes(), (tf, tr) => {
        if (tf !== 1) return false;
        fields(tr.bytes(), (ef, er) => {
          if (ef === 1) v.elemType = er.int32();
          else if (ef === 2)
            fields(er.bytes(), (sf, sr) => {
              if (sf !== 1) return false;
              fields(sr.bytes(), (df, dr) => {
                if (df === 1) dims.push(Number(dr.int64()));
                else if (df === 2) dims.push(dr.string());
                else return false;
                return true;
              });
              return true;
            });
          else return false;
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return { ...v, dims };
}

/**
 * Reads the IR version, opset, producer, metadata and graph inputs and
 * outputs of ONNX bytes, skipping nodes and weights.
 *
 * @throws If the bytes are not a protobuf message (the reader's error).
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxHeader {
  const h: OnnxHeader = { irVersion: 0, opset: undefined, producerName: '', metadata: {}, inputs: [], outputs: [] };
  fields(bytes, (f, r) => {
    if (f === 1) h.irVersion = Number(r.int64());
    else if (f === 2) h.producerName = r.string();
    else if (f === 7)
      fields(r.bytes(), (gf, gr) => {
        if (gf === 11) h.inputs.push(readValueInfo(gr.bytes()));
        else if (gf === 12) h.outputs.push(readValueInfo(gr.bytes()));
        else return false;
        return true;
      });
    else if (f === 8) {
      let domain = '';
      let version: number | undefined;
      fields(r.bytes(), (of, or) => {
        if (of === 1) domain = or.string();
        else if (of === 2) version = Number(or.int64());
        else return false;
        return true;
      });
      if (domain === '' || domain === 'ai.onnx') h.opset = version;
    } else if (f === 14) {
      let key = '';
      let value = '';
      fields(r.bytes(), (ef, er) => {
        if (ef === 1) key = er.string();
        else if (ef === 2) value = er.string();
        else return false;
        return true;
      });
      h.metadata[key] = value;
    } else return false;
    return true;
  });
  return h;
}
