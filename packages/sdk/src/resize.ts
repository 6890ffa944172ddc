/** Area-average (box) resizing of one-channel float images. */

/**
 * Area-average (box) resize; exact copy when the size already matches.
 * Each target pixel averages the source area it covers, so shrinking
 * anti-aliases and enlarging is nearest-neighbour with blended edges.
 * @internal
 */
export function resizeArea(src: Float32Array, sw: number, sh: number, tw: number, th: number): Float32Array {
  if (sw === tw && sh === th) return src.slice();
  const out = new Float32Array(tw * th);
  const fx = sw / tw;
  const fy = sh / th;
  for (let ty = 0; ty < th; ty++) {
    const y0 = ty * fy;
    const y1 = y0 + fy;
    for (let tx = 0; tx < tw; tx++) {
      const x0 = tx * fx;
      const x1 = x0 + fx;
      let acc = 0;
      let wsum = 0;
      for (let sy = Math.floor(y0); sy < Math.min(Math.ceil(y1), sh); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(Math.ceil(x1), sw); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          acc += src[sy * sw + sx] * wx * wy;
          wsum += wx * wy;
        }
      }
      out[ty * tw + tx] = wsum > 0 ? acc / wsum : 0;
    }
  }
  return out;
}
