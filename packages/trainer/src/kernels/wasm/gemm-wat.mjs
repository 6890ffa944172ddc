// Generates the WebAssembly text of the project's SIMD GEMM.
//
// `gemm(M, N, K, a, lda, b, ldb, c, ldc, accumulate)` computes
// C[M×N] (+)= A[M×K] · B[K×N] on row-major float32 matrices in the module's
// memory (pointers in bytes, leading dimensions in elements). The micro-kernel
// keeps a block of R rows × W columns of C in v128 registers while it walks K,
// so each B vector loaded is used R times and each A scalar W times; the text
// is generated because WAT has no macros and the R×W variants differ only in
// how many accumulators they unroll.

const loc = (n) => `(local.get $${n})`;
const set = (n, v) => `(local.set $${n} ${v})`;
const add = (a, b) => `(i32.add ${a} ${b})`;
const mul = (a, b) => `(i32.mul ${a} ${b})`;
const c32 = (v) => `(i32.const ${v})`;

/** A block of R rows × W (8 or 4) columns at row $i, column $j. */
function block(R, W) {
  const V = W / 4;
  const out = [];
  for (let r = 0; r < R; r++) {
    out.push(set(`ap${r}`, add(loc('a'), mul(add(loc('i'), c32(r)), loc('lda')))));
    out.push(set(`cp${r}`, add(add(loc('c'), mul(add(loc('i'), c32(r)), loc('ldc'))), `(i32.shl ${loc('j')} ${c32(2)})`)));
    for (let v = 0; v < V; v++) {
      out.push(`(if ${loc('acc')} (then ${set(`c${r}_${v}`, `(v128.load offset=${16 * v} ${loc(`cp${r}`)})`)}) (else ${set(`c${r}_${v}`, '(v128.const i32x4 0 0 0 0)')}))`);
    }
  }
  out.push(set('bp', add(loc('b'), `(i32.shl ${loc('j')} ${c32(2)})`)));
  out.push(set('ko', c32(0)));
  const body = [];
  for (let v = 0; v < V; v++) body.push(set(`vb${v}`, `(v128.load offset=${16 * v} ${loc('bp')})`));
  for (let r = 0; r < R; r++) {
    body.push(set('va', `(v128.load32_splat ${add(loc(`ap${r}`), loc('ko'))})`));
    for (let v = 0; v < V; v++) {
      body.push(set(`c${r}_${v}`, `(f32x4.add ${loc(`c${r}_${v}`)} (f32x4.mul ${loc('va')} ${loc(`vb${v}`)}))`));
    }
  }
  body.push(set('bp', add(loc('bp'), loc('ldb'))));
  body.push(set('ko', add(loc('ko'), c32(4))));
  out.push(`(block $kend (loop $kloop (br_if $kend (i32.ge_u ${loc('ko')} ${loc('kb')})) ${body.join(' ')} (br $kloop)))`);
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) out.push(`(v128.store offset=${16 * v} ${loc(`cp${r}`)} ${loc(`c${r}_${v}`)})`);
  }
  return out.join('\n      ');
}

/** Column loop for R rows: 8-wide, then 4-wide, then scalar columns. */
function rows(R) {
  const scalar = [];
  for (let r = 0; r < R; r++) {
    scalar.push(`
      ${set('ap0', add(loc('a'), mul(add(loc('i'), c32(r)), loc('lda'))))}
      ${set('cp0', add(add(loc('c'), mul(add(loc('i'), c32(r)), loc('ldc'))), `(i32.shl ${loc('j')} ${c32(2)})`))}
      ${set('s', `(if (result f32) ${loc('acc')} (then (f32.load ${loc('cp0')})) (else (f32.const 0)))`)}
      ${set('bp', add(loc('b'), `(i32.shl ${loc('j')} ${c32(2)})`))}
      ${set('ko', c32(0))}
      (block $send (loop $sloop (br_if $send (i32.ge_u ${loc('ko')} ${loc('kb')}))
        ${set('s', `(f32.add ${loc('s')} (f32.mul (f32.load ${add(loc('ap0'), loc('ko'))}) (f32.load ${loc('bp')})))`)}
        ${set('bp', add(loc('bp'), loc('ldb')))}
        ${set('ko', add(loc('ko'), c32(4)))}
        (br $sloop)))
      (f32.store ${loc('cp0')} ${loc('s')})`);
  }
  return `
    ${set('j', c32(0))}
    (block $j8end (loop $j8loop (br_if $j8end (i32.gt_u ${add(loc('j'), c32(8))} ${loc('N')}))
      ${block(R, 8)}
      ${set('j', add(loc('j'), c32(8)))} (br $j8loop)))
    (if (i32.le_u ${add(loc('j'), c32(4))} ${loc('N')}) (then
      ${block(R, 4)}
      ${set('j', add(loc('j'), c32(4)))}))
    (block $j1end (loop $j1loop (br_if $j1end (i32.ge_u ${loc('j')} ${loc('N')}))
      ${scalar.join('')}
      ${set('j', add(loc('j'), c32(1)))} (br $j1loop)))`;
}

/** The whole module's text. */
export function gemmWat() {
  const R = 4;
  const locals = ['i', 'j', 'ko', 'kb', 'bp', ...Array.from({ length: R }, (_, r) => [`ap${r}`, `cp${r}`]).flat()]
    .map((n) => `(local $${n} i32)`).join(' ');
  const vlocals = ['va', 'vb0', 'vb1', ...Array.from({ length: R }, (_, r) => [`c${r}_0`, `c${r}_1`]).flat()]
    .map((n) => `(local $${n} v128)`).join(' ');
  return `(module
  (memory (export "memory") 1)
  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32)
      (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $acc i32)
    ${locals} ${vlocals} (local $s f32)
    ${set('lda', `(i32.shl ${loc('lda')} ${c32(2)})`)}
    ${set('ldb', `(i32.shl ${loc('ldb')} ${c32(2)})`)}
    ${set('ldc', `(i32.shl ${loc('ldc')} ${c32(2)})`)}
    ${set('kb', `(i32.shl ${loc('K')} ${c32(2)})`)}
    ${set('i', c32(0))}
    (block $i4end (loop $i4loop (br_if $i4end (i32.gt_u ${add(loc('i'), c32(R))} ${loc('M')}))
      ${rows(R)}
      ${set('i', add(loc('i'), c32(R)))} (br $i4loop)))
    (block $i1end (loop $i1loop (br_if $i1end (i32.ge_u ${loc('i')} ${loc('M')}))
      ${rows(1)}
      ${set('i', add(loc('i'), c32(1)))} (br $i1loop)))
  )
)
`;
}
