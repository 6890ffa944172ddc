/**
 * The ONNX protobuf schema the exporter carries, and typed views of its messages.
 *
 * The text below is `proto/onnx-subset.proto` verbatim (a test keeps them equal):
 * a proto2 subset of `onnx/onnx.proto` with the specification's field numbers.
 * It is embedded so that the bundled package reads no file at run time.
 */
import protobuf from 'protobufjs';

/** The ONNX `.proto` subset, as text. */
export const ONNX_PROTO_SOURCE = `
// A subset of onnx/onnx.proto (ONNX 1.16, IR version 10), proto2 syntax, with
// the field numbers of the ONNX specification. Only the messages and fields
// that the exporter writes or the validator reads are kept; unknown fields in
// files written by other tools are skipped by the decoder, as in protobuf.
//
// Source of truth: src/onnx-schema.ts embeds this text verbatim (a test keeps
// the two identical) so that the bundled package needs no file at run time.
syntax = "proto2";

package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    SPARSE_TENSOR = 11;
    TYPE_PROTO = 13;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSORS = 12;
    TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated SparseTensorProto sparse_initializer = 15;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0;
    FLOAT = 1;
    UINT8 = 2;
    INT8 = 3;
    UINT16 = 4;
    INT16 = 5;
    INT32 = 6;
    INT64 = 7;
    STRING = 8;
    BOOL = 9;
    FLOAT16 = 10;
    DOUBLE = 11;
    UINT32 = 12;
    UINT64 = 13;
    COMPLEX64 = 14;
    COMPLEX128 = 15;
    BFLOAT16 = 16;
  }
  enum DataLocation {
    DEFAULT = 0;
    EXTERNAL = 1;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  };
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`.slice(1);

/** `TensorProto.DataType` values used here (ONNX numbering). */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** Byte size of one element per ONNX data type (fixed-size types only). */
export const DATA_TYPE_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** Human name of an ONNX data type, for messages. */
export function dataTypeName(t: number | undefined): string {
  const names: Record<number, string> = { 0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16' };
  return t === undefined ? 'unset' : (names[t] ?? `type ${t}`);
}

/** `AttributeProto.AttributeType` values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** An ONNX tensor (`TensorProto`), plain-object form. */
export interface TensorProto {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  uint64_data?: number[];
  string_data?: Uint8Array[];
  doc_string?: string;
  data_location?: number;
}

/** One node attribute (`AttributeProto`). */
export interface AttributeProto {
  name?: string;
  type?: number;
  doc_string?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

/** A graph node (`NodeProto`). */
export interface NodeProto {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
  doc_string?: string;
}

/** One dimension: fixed (`dim_value`) or symbolic (`dim_param`). */
export interface DimensionProto {
  dim_value?: number;
  dim_param?: string;
  denotation?: string;
}

/** A tensor's element type and shape (`TypeProto.Tensor`, also `TypeProto.SparseTensor`). */
export interface TensorTypeProto {
  elem_type?: number;
  shape?: { dim?: DimensionProto[] };
}

/** The type of a value (`TypeProto`): exactly one of its `*_type` fields is set. */
export interface TypeProto {
  tensor_type?: TensorTypeProto;
  sequence_type?: { elem_type?: TypeProto };
  map_type?: { key_type?: number; value_type?: TypeProto };
  optional_type?: { elem_type?: TypeProto };
  sparse_tensor_type?: TensorTypeProto;
  denotation?: string;
}

/** A typed value (graph input/output) (`ValueInfoProto`). */
export interface ValueInfoProto {
  name?: string;
  doc_string?: string;
  type?: TypeProto;
}

/** A sparse tensor (`SparseTensorProto`); its name is `values.name`. */
export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims?: number[];
}

/** A graph (`GraphProto`). */
export interface GraphProto {
  name?: string;
  doc_string?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
  sparse_initializer?: SparseTensorProto[];
}

/** A whole model file (`ModelProto`). */
export interface ModelProto {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: { key?: string; value?: string }[];
}

let modelType: protobuf.Type | undefined;

/** The protobufjs type of `onnx.ModelProto`, parsed once from {@link ONNX_PROTO_SOURCE}. */
export function modelProtoType(): protobuf.Type {
  if (!modelType) {
    const { root } = protobuf.parse(ONNX_PROTO_SOURCE, { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Serialises a model to ONNX protobuf bytes. Throws if a field has the wrong type. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  const err = type.verify(model as Record<string, unknown>);
  if (err) throw new TypeError(`invalid ModelProto: ${err}`);
  return type.encode(type.fromObject(model as Record<string, unknown>)).finish();
}

/**
 * Parses ONNX protobuf bytes into a plain object (int64 as numbers, bytes as
 * `Uint8Array`, unset fields omitted). Throws on malformed protobuf.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProtoType();
  const msg = type.decode(bytes);
  const obj = type.toObject(msg, { longs: Number, enums: Number, defaults: false, arrays: false, oneofs: false });
  return obj as ModelProto;
}
