/**
 * A structural validator for ONNX models, in TypeScript.
 *
 * It checks what a runtime would otherwise reject late or mis-handle silently:
 * the opset imports, typed graph inputs and outputs, that every node input is
 * defined before use, that initializer data agrees with its declared type and
 * shape, and (by propagating shapes through the ops it knows) that weights have
 * the dtypes and shapes their ops need. Problems come back as a list.
 *
 * `--check` promises to accept any valid ONNX file, so an `error` is only what
 * is certainly wrong; whatever cannot be known here (a type this validator does
 * not model, a shape computed at run time, an op it does not know) is at most a
 * `warning`.
 */
import type { ModelProto, NodeProto, TensorProto, TypeProto, ValueInfoProto } from './onnx-schema.js';
import { DATA_TYPE_BYTES, DataType, dataTypeName, decodeModel } from './onnx-schema.js';
import type { Dim, ValueType } from './infer-node.js';
import { fmt, inferNode } from './infer-node.js';

/** One thing wrong with a model. */
export interface ValidationProblem {
  /** `error`: the model is certainly invalid; `warning`: suspicious, or not checkable here. */
  severity: 'error' | 'warning';
  /** Where: `model`, `graph`, `initializer <name>`, `node <name> (<op>)`, `input <name>`, `output <name>`. */
  where: string;
  message: string;
}

/** Result of {@link validateModel}. */
export interface ValidationReport {
  /** True when there is no `error` problem (warnings allowed). */
  ok: boolean;
  problems: ValidationProblem[];
  /** Counts, for a one-line summary. */
  stats: { nodes: number; initializers: number; opset: number | null; irVersion: number | null };
}

/** Prefix of the warning given when the validator itself fails on a node (a validator bug, not the model's). */
export const INTERNAL_WARNING = 'the validator could not check this node';

const UNKNOWN: ValueType = { dtype: null, shape: null };
const STRING = 8;
const COMPLEX64 = 14;
const COMPLEX128 = 15;

/** The default domain has two spellings. */
const normDomain = (d: string | undefined) => (!d || d === 'ai.onnx' ? '' : d);
const domainLabel = (d: string) => (d ? `"${d}"` : '"" (the default ONNX domain)');

/** Which typed field holds an initializer's values when it has no raw_data, and how many per element. */
function typedField(t: TensorProto, dt: number): { values: unknown[] | undefined; per: number; field: string } {
  if (dt === DataType.FLOAT) return { values: t.float_data, per: 1, field: 'float_data' };
  if (dt === COMPLEX64) return { values: t.float_data, per: 2, field: 'float_data' };
  if (dt === DataType.DOUBLE) return { values: t.double_data, per: 1, field: 'double_data' };
  if (dt === COMPLEX128) return { values: t.double_data, per: 2, field: 'double_data' };
  if (dt === DataType.INT64) return { values: t.int64_data, per: 1, field: 'int64_data' };
  if (dt === 12 || dt === 13) return { values: t.uint64_data, per: 1, field: 'uint64_data' };
  if (dt === STRING) return { values: t.string_data, per: 1, field: 'string_data' };
  return { values: t.int32_data, per: 1, field: 'int32_data' };
}

/** Validates a decoded model. Never throws; everything wrong is in `problems`. */
export function validateModel(model: ModelProto): ValidationReport {
  const problems: ValidationProblem[] = [];
  const err = (where: string, message: string) => problems.push({ severity: 'error', where, message });
  const warn = (where: string, message: string) => problems.push({ severity: 'warning', where, message });

  const ir = model.ir_version === undefined ? null : Number(model.ir_version);
  if (ir === null) err('model', 'ir_version is not set');
  else if (ir < 3) err('model', `ir_version ${ir} is too old (need >= 3)`);
  const imports = new Map<string, number | null>();
  for (const o of model.opset_import ?? []) imports.set(normDomain(o.domain), o.version === undefined ? null : Number(o.version));
  const opset = imports.get('') ?? null;
  if (!model.opset_import?.length) err('model', 'no opset_import: runtimes cannot tell which operator versions to use');
  const g = model.graph;
  const stats = { nodes: g?.node?.length ?? 0, initializers: g?.initializer?.length ?? 0, opset, irVersion: ir };
  if (!g) {
    err('model', 'the model has no graph');
    return { ok: false, problems, stats };
  }
  if (!g.name) warn('graph', 'the graph has no name');

  const values = new Map<string, ValueType>();
  const inits = new Map<string, TensorProto>();
  const usedInits = new Set<string>();

  for (const t of g.initializer ?? []) {
    const where = `initializer ${t.name ?? '(unnamed)'}`;
    if (!t.name) {
      err(where, 'initializer has no name');
      continue;
    }
    if (inits.has(t.name)) err(where, 'duplicate initializer name');
    inits.set(t.name, t);
    values.set(t.name, checkTensor(t, where, err, warn));
  }
  for (const sp of g.sparse_initializer ?? []) {
    const name = sp.values?.name;
    if (!name) {
      err('sparse initializer (unnamed)', 'sparse initializer values have no name');
      continue;
    }
    if (inits.has(name) || values.has(name)) err(`initializer ${name}`, 'duplicate initializer name');
    values.set(name, { dtype: sp.values?.data_type ?? null, shape: (sp.dims ?? []).map(Number) });
  }

  const declared = (v: ValueInfoProto, kind: 'input' | 'output'): ValueType | null => {
    const where = `${kind} ${v.name ?? '(unnamed)'}`;
    if (!v.name) {
      err(where, `graph ${kind} has no name`);
      return null;
    }
    return declaredType(v.type, where, err, warn);
  };

  for (const v of g.input ?? []) {
    const t = declared(v, 'input');
    // An input whose type is missing is still defined, so nodes that read it are not reported again.
    if (v.name) values.set(v.name, t ?? UNKNOWN);
  }
  if (!g.output?.length) warn('graph', 'the graph declares no outputs');

  const reportedDomains = new Set<string>();
  (g.node ?? []).forEach((node, index) => {
    const op = node.op_type ?? '';
    const where = `node ${node.name || `#${index}`} (${op || 'no op_type'})`;
    if (!op) err(where, 'op_type is not set');
    const domain = normDomain(node.domain);
    if (imports.size > 0 && !imports.has(domain) && !reportedDomains.has(domain)) {
      reportedDomains.add(domain);
      err(where, `domain ${domainLabel(domain)} is not imported: opset_import lists ${[...imports.keys()].map((d) => `"${d}"`).join(', ')}`);
    }
    let defined = true;
    for (const name of node.input ?? []) {
      if (!name) continue; // optional input left out
      if (!values.has(name)) {
        err(where, `input "${name}" is used before it is defined (not a graph input, an initializer or an earlier node's output)`);
        defined = false;
      }
      if (inits.has(name)) usedInits.add(name);
    }
    const outs = node.output ?? [];
    if (outs.length === 0) err(where, 'node has no outputs');
    for (const name of outs) {
      if (name && values.has(name)) err(where, `output "${name}" is already defined (names must be assigned once)`);
    }
    let result: ValueType[] | null = null;
    if (defined && op && domain === '') {
      try {
        const input = (i: number) => (node.input?.[i] ? (values.get(node.input[i]) ?? null) : null);
        result = inferNode(node, op, input, inits, opset ?? 0, (m) => err(where, m), (m) => warn(where, m));
      } catch (e) {
        warn(where, `${INTERNAL_WARNING} (${(e as Error)?.message ?? String(e)})`);
        result = [];
      }
      if (!result) warn(where, `operator ${op} is not known to this validator; its output types and shapes are not checked`);
    } else if (defined && op) {
      warn(where, `operator ${op} of domain "${domain}" is not known to this validator; its output types and shapes are not checked`);
    }
    outs.forEach((name, i) => {
      if (name) values.set(name, result?.[i] ?? UNKNOWN);
    });
  });

  for (const v of g.output ?? []) {
    const t = declared(v, 'output');
    if (!v.name) continue;
    const where = `output ${v.name}`;
    const got = values.get(v.name);
    if (!got) {
      err(where, 'no node produces this graph output');
      continue;
    }
    if (!t) continue;
    if (t.dtype !== null && got.dtype !== null && t.dtype !== got.dtype) {
      err(where, `declared ${dataTypeName(t.dtype)} but the graph computes ${dataTypeName(got.dtype)}`);
    }
    if (t.shape && got.shape) {
      const ok = t.shape.length === got.shape.length && t.shape.every((d, i) => typeof d !== 'number' || typeof got.shape![i] !== 'number' || d === got.shape![i]);
      if (!ok) err(where, `declared shape ${fmt(t.shape)} but the graph computes ${fmt(got.shape)}`);
    }
  }
  for (const name of inits.keys()) if (!usedInits.has(name)) warn(`initializer ${name}`, 'not used by any node');

  return { ok: !problems.some((p) => p.severity === 'error'), problems, stats };
}

/** Checks an initializer's dims and data against its type; returns its value type. */
function checkTensor(t: TensorProto, where: string, err: (w: string, m: string) => void, warn: (w: string, m: string) => void): ValueType {
  const dims = (t.dims ?? []).map(Number);
  const dt = t.data_type;
  const shape = dims;
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    err(where, `invalid dims [${dims.join(',')}]`);
    return { dtype: dt ?? null, shape: null };
  }
  if (dt === undefined || dt === DataType.UNDEFINED) {
    err(where, 'data_type is not set');
    return { dtype: null, shape };
  }
  const size = dt === STRING ? undefined : dt === COMPLEX64 ? 8 : dt === COMPLEX128 ? 16 : DATA_TYPE_BYTES[dt];
  if (dt !== STRING && size === undefined) {
    warn(where, `data_type ${dataTypeName(dt)} is not known to this validator; its data is not checked`);
    return { dtype: dt, shape };
  }
  if (t.data_location === 1) {
    warn(where, 'its data is stored outside the file (external data) and is not checked');
    return { dtype: dt, shape };
  }
  const n = dims.reduce((a, b) => a * b, 1);
  if (t.raw_data && t.raw_data.length > 0) {
    if (dt === STRING) err(where, 'string tensors cannot use raw_data (their values go in string_data)');
    else if (t.raw_data.length !== n * size!) err(where, `raw_data has ${t.raw_data.length} bytes, dims [${dims.join(',')}] of ${dataTypeName(dt)} need ${n * size!}`);
  } else {
    const { values, per, field } = typedField(t, dt);
    const have = values?.length ?? 0;
    if (have !== n * per) err(where, `has ${have} values in ${field}, dims [${dims.join(',')}] need ${n * per}`);
  }
  return { dtype: dt, shape };
}

/** The declared type of a graph input or output; null when there is none to use. */
function declaredType(type: TypeProto | undefined, where: string, err: (w: string, m: string) => void, warn: (w: string, m: string) => void): ValueType | null {
  // Sequence, map, optional and sparse values are legal graph inputs and outputs; nothing here models their contents.
  if (type?.sequence_type || type?.map_type || type?.optional_type || type?.sparse_tensor_type) return UNKNOWN;
  const tt = type?.tensor_type;
  if (!tt) {
    err(where, 'no tensor type declared');
    return null;
  }
  if (tt.elem_type === undefined || tt.elem_type === DataType.UNDEFINED) err(where, 'element type is not declared');
  const dtype = tt.elem_type || null;
  if (!tt.shape) {
    warn(where, 'shape is not declared (any rank); it is not checked');
    return { dtype, shape: null };
  }
  const shape: Dim[] = (tt.shape.dim ?? []).map((d, i) => {
    if (d.dim_value !== undefined && d.dim_value !== null) return Number(d.dim_value);
    if (d.dim_param) return d.dim_param;
    warn(where, `dimension ${i} is unknown (neither dim_value nor dim_param); it is not checked`);
    return null;
  });
  return { dtype, shape };
}

/** Decodes and validates ONNX bytes; a protobuf decode failure becomes a problem too. */
export function validateModelBytes(bytes: Uint8Array): ValidationReport {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    return {
      ok: false,
      problems: [{ severity: 'error', where: 'file', message: `not a valid ONNX protobuf: ${(e as Error).message}` }],
      stats: { nodes: 0, initializers: 0, opset: null, irVersion: null },
    };
  }
  return validateModel(model);
}

/** Formats a report as lines for a terminal. */
export function formatReport(report: ValidationReport, label = 'model'): string {
  const { stats } = report;
  const head = `${label}: ${report.ok ? 'OK' : 'INVALID'} (IR ${stats.irVersion ?? '?'}, opset ${stats.opset ?? '?'}, ${stats.nodes} nodes, ${stats.initializers} initializers)`;
  const lines = report.problems.map((p) => `  ${p.severity === 'error' ? 'error  ' : 'warning'} ${p.where}: ${p.message}`);
  return [head, ...lines].join('\n');
}
