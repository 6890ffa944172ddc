/**
 * Per-channel symmetric int8 quantization, for `--quantize int8`: each output
 * channel c of a weight gets `scale[c] = max|w| / 127` and zero point 0, and
 * stores `q = round(w / scale[c])` in [-127, 127]. The graph gives back
 * `q * scale[c]` through `DequantizeLinear`; {@link dequantizeInt8} computes the
 * same float32 values, so the exporter's probe pass runs the weights the graph runs.
 */

/** Largest magnitude a symmetric int8 value takes (-128 is left out so that +/- stay symmetric). */
export const INT8_MAX = 127;

/** An int8 weight: the stored values and one float32 scale per channel along `axis`. */
export interface Int8Weight {
  values: Int8Array;
  scales: Float32Array;
  axis: number;
}

/** Round half to even, as ONNX QuantizeLinear rounds. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Channel index of each flat element of a row-major tensor with `dims`, along `axis`. */
function channelStrides(dims: readonly number[], axis: number): { inner: number; channels: number } {
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) throw new RangeError(`axis ${axis} is out of range for dims [${dims.join(',')}]`);
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  return { inner, channels: dims[axis] };
}

/**
 * Quantizes a float32 tensor (row-major, `dims`) per channel along `axis`. A
 * channel that is all zeros gets scale 1 rather than 0: its values are 0 at
 * any scale, and a zero scale is a division by zero for anyone re-quantizing.
 *
 * @throws RangeError when `data` does not have `dims`' size or a value is not finite
 */
export function quantizeInt8PerChannel(data: Float32Array, dims: readonly number[], axis: number): Int8Weight {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`${data.length} values do not fill dims [${dims.join(',')}] (${size})`);
  const { inner, channels } = channelStrides(dims, axis);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new RangeError(`value ${v} at flat index ${i} cannot be quantized`);
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(v);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c] > 0 ? maxAbs[c] / INT8_MAX : 1;
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = roundHalfEven(data[i] / scales[Math.floor(i / inner) % channels]);
    values[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
  }
  return { values, scales, axis };
}

/**
 * What `DequantizeLinear` gives for an int8 weight with zero point 0: the
 * float32 product `q * scale[c]` (exact in float64, then rounded once, as a
 * float32 multiply rounds).
 */
export function dequantizeInt8(w: Int8Weight, dims: readonly number[]): Float32Array {
  const { inner, channels } = channelStrides(dims, w.axis);
  const out = new Float32Array(w.values.length);
  for (let i = 0; i < out.length; i++) out[i] = w.values[i] * w.scales[Math.floor(i / inner) % channels];
  return out;
}
