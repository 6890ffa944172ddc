/**
 * Rewrites each strided ConvTranspose of a graph as the sub-pixel convolution
 * it equals, for onnxruntime-web's WebGL build, whose ConvTranspose shader is
 * its slowest kernel by far: every output pixel loops over every kernel tap
 * and throws away the (s²-1)/s² that do not land on the stride grid.
 * `pnpm bench:web`'s decode of 64 mnist digits on SwiftShader took 12.6 s that
 * way (at cb4ea2b) and 0.80 s rewritten (at e04d24c).
 *
 * ConvTranspose(x; W[ci, co, k, k], stride s, pads p, output_padding op) is
 *
 *   Conv(x; W'[s²·co, ci, M, M], pads [P, P, Pe, Pe])   M = ⌈k/s⌉
 *   → DepthToSpace(s, DCR) → Slice(rows and columns [p − s⌊p/s⌋, −t))
 *
 * where the output pixel (s·q + a, s·q' + b) of phase (a, b) is the sum over
 * input pixels q − m of W[·, ·, a + s·m, b + s·m'] (m < M), so W' holds, for
 * channel (a·s + b)·co + c, the taps a + s·(M − 1 − ty), zero past k. The
 * pads, the slice start and the trailing cut t follow from k, s, p and op
 * alone (not the input size):
 *   P = M − 1 − ⌊p/s⌋,  Pe = ⌊(k + op − 1 − p)/s⌋,  t = s·Pe + s + p − k − op.
 * It adds the same products in another order, so outputs differ by float32
 * rounding only (test/browser/webgl-dtype.test.ts checks them against Node).
 * A Relu that is the only reader moves before the DepthToSpace, where the
 * WebGL build fuses it into the Conv. Any other ConvTranspose (groups,
 * dilations, asymmetric pads, output_shape, auto_pad, stride 1, weights that
 * are not constants) is left as it is.
 * @internal
 */
import type { Node } from './onnx-graph-wire.js';
import { floatInitializer, GRAPH, isOnnxDomain } from './onnx-graph-wire.js';
import { lenField, varintField } from './protobuf-wire.js';

const utf8 = (t: string) => new TextEncoder().encode(t);
const str = (no: number, t: string) => lenField(no, utf8(t));
const ints = (name: string, v: number[]) => lenField(5, str(1, name), varintField(20, 7), ...v.map((i) => varintField(8, i)));

/** A NodeProto named after its output; `attrs` are AttributeProto fields. */
const node = (op: string, inputs: string[], output: string, ...attrs: Uint8Array[]) =>
  lenField(GRAPH.node, ...inputs.map((i) => str(1, i)), str(2, output), str(3, output), str(4, op), ...attrs);

/** An int64 initializer, in raw_data (negative values included). */
const int64s = (name: string, v: number[]) => lenField(GRAPH.initializer, varintField(1, v.length), varintField(2, 7), str(8, name), lenField(9, new Uint8Array(BigInt64Array.from(v, BigInt).buffer)));

const same = (a: unknown, b: number[]) => String(a ?? b) === String(b);

/**
 * The nodes and initializers that replace ConvTranspose node `n` (and the
 * Relu it absorbs, if any), or undefined to leave it as it is. `weight` gives
 * a name's float32 value when it is a constant.
 * @internal
 */
export function subpixelConvTranspose(
  n: Node,
  weight: (name: string) => { dims: number[]; values: Float32Array } | undefined,
  readers: ReadonlyMap<string, Node[]>,
  outputNames: ReadonlySet<string>,
): { nodes: Uint8Array[]; initializers: Uint8Array[]; moved?: Node } | undefined {
  if (n.op !== 'ConvTranspose' || !isOnnxDomain(n.domain) || n.inputs.length > 3) return;
  const W = weight(n.inputs[1]);
  const B = n.inputs[2] ? weight(n.inputs[2]) : undefined;
  if (!W || W.dims.length !== 4 || (n.inputs[2] && !B)) return;
  const [ci, co, k] = W.dims;
  const L = n.lists;
  const [s = 1] = (L.get('strides') ?? []) as number[];
  const [p = 0] = (L.get('pads') ?? []) as number[];
  const [op = 0] = (L.get('output_padding') ?? []) as number[];
  const M = Math.ceil(k / s);
  const q0 = Math.floor(p / s);
  const P = M - 1 - q0;
  const Pe = Math.floor((k + op - 1 - p) / s);
  const ok =
    s > 1 && W.dims[3] === k && (!B || B.values.length === co) && P >= 0 && Pe >= 0 && (n.ints.get('group') ?? 1) === 1 && !L.has('output_shape') &&
    (L.get('auto_pad') ?? 'NOTSET') === 'NOTSET' && same(L.get('kernel_shape'), [k, k]) && same(L.get('strides'), [s, s]) &&
    same(L.get('pads'), [p, p, p, p]) && same(L.get('output_padding'), [op, op]) && same(L.get('dilations'), [1, 1]);
  if (!ok) return;
  const w = W.values;
  const cw = new Float32Array(s * s * co * ci * M * M);
  const cb = new Float32Array(s * s * co);
  for (let a = 0; a < s; a++)
    for (let b = 0; b < s; b++)
      for (let c = 0; c < co; c++) {
        const o = (a * s + b) * co + c;
        cb[o] = B?.values[c] ?? 0;
        for (let i = 0; i < ci; i++)
          for (let ty = 0; ty < M; ty++)
            for (let tx = 0; tx < M; tx++) {
              const ky = a + s * (M - 1 - ty);
              const kx = b + s * (M - 1 - tx);
              if (ky < k && kx < k) cw[((o * ci + i) * M + ty) * M + tx] = w[((i * co + c) * k + ky) * k + kx];
            }
      }
  const out = n.outputs[0];
  const next = readers.get(out);
  const relu = next?.length === 1 && next[0].op === 'Relu' && isOnnxDomain(next[0].domain) && !outputNames.has(out) ? next[0] : undefined;
  const t = s * Pe + s + p - k - op;
  const st = p - s * q0;
  const end = t ? -t : 2 ** 31 - 1;
  const at = `${out}/webgl_subpixel/`;
  const nodes = [node('Conv', [n.inputs[0], `${at}W`, `${at}B`], `${at}conv`, ints('kernel_shape', [M, M]), ints('pads', [P, P, Pe, Pe]))];
  if (relu) nodes.push(node('Relu', [`${at}conv`], `${at}relu`));
  nodes.push(
    // blocksize (INT 2) and mode (STRING 3) DCR
    node('DepthToSpace', [`${at}${relu ? 'relu' : 'conv'}`], `${at}d2s`, lenField(5, str(1, 'blocksize'), varintField(20, 2), varintField(3, s)), lenField(5, str(1, 'mode'), varintField(20, 3), str(4, 'DCR'))),
    node('Slice', [`${at}d2s`, `${at}starts`, `${at}ends`, `${at}axes`], relu ? relu.outputs[0] : out),
  );
  return {
    nodes,
    initializers: [floatInitializer(`${at}W`, [s * s * co, ci, M, M], cw), floatInitializer(`${at}B`, [s * s * co], cb), int64s(`${at}starts`, [st, st]), int64s(`${at}ends`, [end, end]), int64s(`${at}axes`, [2, 3])],
    moved: relu,
  };
}
