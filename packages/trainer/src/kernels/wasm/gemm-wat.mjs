// Generates the WebAssembly text of the project's SIMD GEMM.
//
// `gemm(M, N, K, a, lda, b, ldb, c, ldc, accumulate)` computes
// C[M×N] (+)= A[M×K] · B[K×N] on row-major float32 matrices in the module's
// memory (pointers in bytes, leading dimensions in elements). The micro-kernel
// keeps a block of R rows × W columns of C in v128 registers while it walks K,
// so each B vector loaded is used R times and each A scalar W times; the text
// is generated because WAT has no macros and the R×W variants differ only in
// how many accumulators they unroll.
//
// The memory is imported and shared, so that the kernel pool's worker threads
// (../kernel-pool.ts) run the same functions on the same operands. With
// `fma`, the micro-kernel's multiply-add is `f32x4.relaxed_madd` (relaxed
// SIMD: one fused instruction where the CPU has FMA) instead of
// `f32x4.add(f32x4.mul)`.

const loc = (n) => `(local.get $${n})`;
const set = (n, v) => `(local.set $${n} ${v})`;
const add = (a, b) => `(i32.add ${a} ${b})`;
const mul = (a, b) => `(i32.mul ${a} ${b})`;
const c32 = (v) => `(i32.const ${v})`;

/** `c + a * b` on f32x4 operands (fused with relaxed SIMD). */
const madd = (fma, c, a, b) => fma ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add ${c} (f32x4.mul ${a} ${b}))`;

/** A block of R rows × W (8 or 4) columns at row $i, column $j. */
function block(R, W, fma) {
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
      body.push(set(`c${r}_${v}`, madd(fma, loc(`c${r}_${v}`), loc('va'), loc(`vb${v}`))));
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
function rows(R, fma) {
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
      ${block(R, 8, fma)}
      ${set('j', add(loc('j'), c32(8)))} (br $j8loop)))
    (if (i32.le_u ${add(loc('j'), c32(4))} ${loc('N')}) (then
      ${block(R, 4, fma)}
      ${set('j', add(loc('j'), c32(4)))}))
    (block $j1end (loop $j1loop (br_if $j1end (i32.ge_u ${loc('j')} ${loc('N')}))
      ${scalar.join('')}
      ${set('j', add(loc('j'), c32(1)))} (br $j1loop)))`;
}

/**
 * im2col / col2im over rows [m0, m1) of an NHWC conv (and a transpose), all
 * pointers in bytes. The JS versions (conv-geometry.ts) spent ~2.5 ns per
 * float on these copies (every float32 element goes through a float64
 * register in V8); here each tap's channels move 16 bytes at a time.
 */
/**
 * Moves $n bytes (a multiple of 4) between the column pointer $p and the
 * image pointer $src, advancing both: im2col copies image -> columns, col2im
 * adds columns into the image. `tag` keeps block labels unique per use.
 */
function moveRun(kind, tag) {
  const step = (w) => kind === 'im2col'
    ? (w === 16 ? '(v128.store (local.get $p) (v128.load (local.get $src)))' : '(i32.store (local.get $p) (i32.load (local.get $src)))')
    : (w === 16 ? '(v128.store (local.get $src) (f32x4.add (v128.load (local.get $src)) (v128.load (local.get $p))))'
      : '(f32.store (local.get $src) (f32.add (f32.load (local.get $src)) (f32.load (local.get $p))))');
  return [16, 4].map((w) => `
              (block $e${w}${tag} (loop $l${w}${tag} (br_if $e${w}${tag} (i32.lt_u (local.get $n) (i32.const ${w})))
                ${step(w)}
                (local.set $p (i32.add (local.get $p) (i32.const ${w})))
                (local.set $src (i32.add (local.get $src) (i32.const ${w})))
                (local.set $n (i32.sub (local.get $n) (i32.const ${w}))) (br $l${w}${tag})))`).join('');
}

const convHelpers = `
  ;; dst[c*rows + r] = src[r*cols + c]: tiles of 64 source rows, so each
  ;; destination row receives a contiguous run
  (func (export "transpose") (param $rows i32) (param $cols i32) (param $src i32) (param $dst i32)
    (local $r0 i32) (local $r1 i32) (local $c i32) (local $r i32) (local $d i32) (local $s i32) (local $cs i32)
    (local.set $cs (i32.shl (local.get $cols) (i32.const 2)))
    (block $e0 (loop $l0 (br_if $e0 (i32.ge_u (local.get $r0) (local.get $rows)))
      (local.set $r1 (i32.add (local.get $r0) (i32.const 64)))
      (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
      (local.set $c (i32.const 0))
      (block $ec (loop $lc (br_if $ec (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r0)) (i32.const 2))))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $cols)) (local.get $c)) (i32.const 2))))
        (local.set $r (local.get $r0))
        (block $er (loop $lr (br_if $er (i32.ge_u (local.get $r) (local.get $r1)))
          (i32.store (local.get $d) (i32.load (local.get $s)))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (local.set $s (i32.add (local.get $s) (local.get $cs)))
          (local.set $r (i32.add (local.get $r) (i32.const 1))) (br $lr)))
        (local.set $c (i32.add (local.get $c) (i32.const 1))) (br $lc)))
      (local.set $r0 (local.get $r1)) (br $l0))))
  ${['im2col', 'col2im'].map((kind) => `
  (func (export "${kind}") (param $x i32) (param $H i32) (param $W i32) (param $ci i32)
      (param $OH i32) (param $OW i32) (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32)
      (param $top i32) (param $left i32) (param $m0 i32) (param $m1 i32) (param $cols i32)
    (local $m i32) (local $b i32) (local $oh i32) (local $ow i32) (local $ih0 i32) (local $iw0 i32)
    (local $kh i32) (local $kw i32) (local $ih i32) (local $iw i32) (local $rowStride i32) (local $imgStride i32)
    (local $p i32) (local $src i32) (local $n i32) (local $cb i32) (local $rowOk i32)
    ;; Per tap (kh, kw): ci floats copied (in bounds) or zeroed (padding),
    ;; inline: helper calls per tap cost more than the 4-64 bytes they move.
    (local.set $cb (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $rowStride (i32.mul (local.get $W) (local.get $cb)))
    (local.set $imgStride (i32.mul (local.get $H) (local.get $rowStride)))
    (local.set $ow (i32.rem_u (local.get $m0) (local.get $OW)))
    (local.set $oh (i32.rem_u (i32.div_u (local.get $m0) (local.get $OW)) (local.get $OH)))
    (local.set $b (i32.div_u (local.get $m0) (i32.mul (local.get $OW) (local.get $OH))))
    (local.set $p (local.get $cols))
    (local.set $m (local.get $m0))
    (block $mend (loop $mloop (br_if $mend (i32.ge_u (local.get $m) (local.get $m1)))
      (local.set $ih0 (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $top)))
      (local.set $iw0 (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $left)))
      (if (i32.and (i32.and (i32.ge_s (local.get $ih0) (i32.const 0)) (i32.le_s (i32.add (local.get $ih0) (local.get $fh)) (local.get $H)))
                   (i32.and (i32.ge_s (local.get $iw0) (i32.const 0)) (i32.le_s (i32.add (local.get $iw0) (local.get $fw)) (local.get $W))))
        (then
          ;; Interior window (most rows): each kernel row is one contiguous
          ;; run of fw * ci floats of the input, moved without per-tap checks.
          (local.set $kh (i32.const 0))
          (block $ikend (loop $ikloop (br_if $ikend (i32.ge_s (local.get $kh) (local.get $fh)))
            (local.set $src (i32.add (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $imgStride)))
              (i32.add (i32.mul (i32.add (local.get $ih0) (local.get $kh)) (local.get $rowStride)) (i32.mul (local.get $iw0) (local.get $cb)))))
            (local.set $n (i32.mul (local.get $fw) (local.get $cb)))
            ${moveRun(kind, 'i')}
            (local.set $kh (i32.add (local.get $kh) (i32.const 1))) (br $ikloop))))
        (else
      (local.set $kh (i32.const 0))
      (block $khend (loop $khloop (br_if $khend (i32.ge_s (local.get $kh) (local.get $fh)))
        (local.set $ih (i32.add (local.get $ih0) (local.get $kh)))
        (local.set $rowOk (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.lt_s (local.get $ih) (local.get $H))))
        (local.set $kw (i32.const 0))
        (block $kwend (loop $kwloop (br_if $kwend (i32.ge_s (local.get $kw) (local.get $fw)))
          (local.set $iw (i32.add (local.get $iw0) (local.get $kw)))
          (local.set $n (local.get $cb))
          (if (i32.and (local.get $rowOk) (i32.and (i32.ge_s (local.get $iw) (i32.const 0)) (i32.lt_s (local.get $iw) (local.get $W))))
            (then
              (local.set $src (i32.add (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $imgStride)))
                (i32.add (i32.mul (local.get $ih) (local.get $rowStride)) (i32.mul (local.get $iw) (local.get $cb)))))
              ${moveRun(kind, 't')})
            (else
              ${kind === 'im2col' ? `
              (block $z4 (loop $lz (br_if $z4 (i32.eqz (local.get $n)))
                (i32.store (local.get $p) (i32.const 0))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $n (i32.sub (local.get $n) (i32.const 4))) (br $lz)))` : `
              (local.set $p (i32.add (local.get $p) (local.get $cb)))`}))
          (local.set $kw (i32.add (local.get $kw) (i32.const 1))) (br $kwloop)))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1))) (br $khloop)))))
      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
      (if (i32.eq (local.get $ow) (local.get $OW)) (then
        (local.set $ow (i32.const 0))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (if (i32.eq (local.get $oh) (local.get $OH)) (then
          (local.set $oh (i32.const 0))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))))))
      (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $mloop)))
  )`).join('')}
`;

/**
 * Element-wise passes over float32 arrays in the memory (byte pointers, `n`
 * elements; in place is allowed). V8 runs a float32 loop in JS at ~4 ns an
 * element (each value goes through a float64 register); these run four lanes
 * at a time. f32 add, sub, mul and div round exactly like JS's float64
 * arithmetic stored into a Float32Array, so the results are the same bits.
 */
function elementwise() {
  const bin = ['add', 'sub', 'mul', 'div'].map((op) => `
  (func (export "${op}_same") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $ve (loop $vl (br_if $ve (i32.ge_u (local.get $out) (local.get $vend)))
      (v128.store (local.get $out) (f32x4.${op} (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16))) (br $vl)))
    (block $se (loop $sl (br_if $se (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.${op} (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4))) (br $sl))))`).join('');
  // out[r, c] = x[r, c] op b[c] over rows of C, op by $mode: 0 add, 1 add
  // then ReLU (f32x4.max: NaN stays NaN, -0 becomes +0, as tfjs' relu),
  // 2 sub, 3 mul, 4 div.
  const chanOp = (t) => `(if (result ${t === 'v' ? 'v128' : 'f32'}) (i32.le_u (local.get $mode) (i32.const 1))
          (then ${t === 'v' ? '(f32x4.add (local.get $xv) (local.get $bv))' : '(f32.add (local.get $xs) (local.get $bs))'})
          (else (if (result ${t === 'v' ? 'v128' : 'f32'}) (i32.eq (local.get $mode) (i32.const 2))
            (then ${t === 'v' ? '(f32x4.sub (local.get $xv) (local.get $bv))' : '(f32.sub (local.get $xs) (local.get $bs))'})
            (else (if (result ${t === 'v' ? 'v128' : 'f32'}) (i32.eq (local.get $mode) (i32.const 3))
              (then ${t === 'v' ? '(f32x4.mul (local.get $xv) (local.get $bv))' : '(f32.mul (local.get $xs) (local.get $bs))'})
              (else ${t === 'v' ? '(f32x4.div (local.get $xv) (local.get $bv))' : '(f32.div (local.get $xs) (local.get $bs))'}))))))`;
  const biasAct = `
  (func (export "channel_op") (param $x i32) (param $b i32) (param $C i32) (param $out i32) (param $n i32) (param $mode i32)
    (local $end i32) (local $c i32) (local $v v128) (local $s f32) (local $cb i32) (local $xv v128) (local $bv v128) (local $xs f32) (local $bs f32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (block $re (loop $rl (br_if $re (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $ve (loop $vl (br_if $ve (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $cb)))
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $c))))
        (local.set $bv (v128.load (i32.add (local.get $b) (local.get $c))))
        (local.set $v ${chanOp('v')})
        (if (i32.eq (local.get $mode) (i32.const 1)) (then (local.set $v (f32x4.max (local.get $v) (v128.const i32x4 0 0 0 0)))))
        (v128.store (i32.add (local.get $out) (local.get $c)) (local.get $v))
        (local.set $c (i32.add (local.get $c) (i32.const 16))) (br $vl)))
      (block $se (loop $sl (br_if $se (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $xs (f32.load (i32.add (local.get $x) (local.get $c))))
        (local.set $bs (f32.load (i32.add (local.get $b) (local.get $c))))
        (local.set $s ${chanOp('s')})
        (if (i32.eq (local.get $mode) (i32.const 1)) (then (local.set $s (f32.max (local.get $s) (f32.const 0)))))
        (f32.store (i32.add (local.get $out) (local.get $c)) (local.get $s))
        (local.set $c (i32.add (local.get $c) (i32.const 4))) (br $sl)))
      (local.set $x (i32.add (local.get $x) (local.get $cb)))
      (local.set $out (i32.add (local.get $out) (local.get $cb))) (br $rl))))`;
  // One Adam step in place on p, m, v from g, every operation rounded to
  // float32 where the tfjs-ops formulation rounds it (see adam-update.ts).
  // The scalars arrive as float32: b1, 1-b1, b2, 1-b2, eps, step size, sqrt(1-b2^t).
  const adam = `
  (func (export "adam") (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
      (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32) (param $step f32) (param $bc2 f32)
    (local $end i32) (local $vend i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $E v128) (local $S v128) (local $Q v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1))) (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2))) (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $E (f32x4.splat (local.get $eps))) (local.set $S (f32x4.splat (local.get $step))) (local.set $Q (f32x4.splat (local.get $bc2)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $ve (loop $vl (br_if $ve (i32.ge_u (local.get $p) (local.get $vend)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (local.get $B1)) (f32x4.mul (local.get $gv) (local.get $C1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (local.get $v)) (local.get $B2)) (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
      (v128.store (local.get $m) (local.get $mv))
      (v128.store (local.get $v) (local.get $vv))
      (v128.store (local.get $p) (f32x4.sub (v128.load (local.get $p))
        (f32x4.mul (f32x4.div (local.get $mv) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $Q)) (local.get $E))) (local.get $S))))
      (local.set $p (i32.add (local.get $p) (i32.const 16))) (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16))) (local.set $g (i32.add (local.get $g) (i32.const 16))) (br $vl)))
    (block $se (loop $sl (br_if $se (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gs (f32.load (local.get $g)))
      (local.set $ms (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gs) (local.get $c1))))
      (local.set $vs (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2)) (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
      (f32.store (local.get $m) (local.get $ms))
      (f32.store (local.get $v) (local.get $vs))
      (f32.store (local.get $p) (f32.sub (f32.load (local.get $p))
        (f32.mul (f32.div (local.get $ms) (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $bc2)) (local.get $eps))) (local.get $step))))
      (local.set $p (i32.add (local.get $p) (i32.const 4))) (local.set $m (i32.add (local.get $m) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4))) (local.set $g (i32.add (local.get $g) (i32.const 4))) (br $sl))))`;
  // dx = y > 0 ? dy : 0, and y where y is NaN (tfjs: dy * step(y)).
  const reluGrad = `
  (func (export "relu_grad") (param $dy i32) (param $y i32) (param $out i32) (param $n i32)
    (local $end i32) (local $vend i32) (local $v v128) (local $s f32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $ve (loop $vl (br_if $ve (i32.ge_u (local.get $out) (local.get $vend)))
      (local.set $v (v128.load (local.get $y)))
      (v128.store (local.get $out) (v128.bitselect (local.get $v)
        (v128.and (v128.load (local.get $dy)) (f32x4.gt (local.get $v) (v128.const i32x4 0 0 0 0)))
        (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16))) (br $vl)))
    (block $se (loop $sl (br_if $se (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $s (f32.load (local.get $y)))
      (f32.store (local.get $out) (if (result f32) (f32.gt (local.get $s) (f32.const 0)) (then (f32.load (local.get $dy)))
        (else (if (result f32) (f32.ne (local.get $s) (local.get $s)) (then (local.get $s)) (else (f32.const 0))))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4))) (br $sl))))`;
  // dst (float64) += src (float32), then dst rounded back to float32: the
  // filter gradient's block-ordered float64 sum of its partials.
  const f64 = `
  (func (export "acc_f64") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $vend i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $ve (loop $vl (br_if $ve (i32.ge_u (local.get $src) (local.get $vend)))
      (local.set $v (v128.load (local.get $src)))
      (v128.store (local.get $dst) (f64x2.add (v128.load (local.get $dst)) (f64x2.promote_low_f32x4 (local.get $v))))
      (v128.store offset=16 (local.get $dst) (f64x2.add (v128.load offset=16 (local.get $dst))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 32))) (br $vl)))
    (block $se (loop $sl (br_if $se (i32.ge_u (local.get $src) (local.get $end)))
      (f64.store (local.get $dst) (f64.add (f64.load (local.get $dst)) (f64.promote_f32 (f32.load (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 8))) (br $sl))))
  (func (export "f64_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $se (loop $sl (br_if $se (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.demote_f64 (f64.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4))) (br $sl))))`;
  return bin + biasAct + adam + reluGrad + f64;
}

/**
 * The whole module's text.
 * @param {{ fma?: boolean }} [options] fma: use relaxed SIMD's fused multiply-add
 */
export function gemmWat({ fma = false } = {}) {
  const R = 4;
  const locals = ['i', 'j', 'ko', 'kb', 'bp', ...Array.from({ length: R }, (_, r) => [`ap${r}`, `cp${r}`]).flat()]
    .map((n) => `(local $${n} i32)`).join(' ');
  const vlocals = ['va', 'vb0', 'vb1', ...Array.from({ length: R }, (_, r) => [`c${r}_0`, `c${r}_1`]).flat()]
    .map((n) => `(local $${n} v128)`).join(' ');
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32)
      (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $acc i32)
    ${locals} ${vlocals} (local $s f32)
    ${set('lda', `(i32.shl ${loc('lda')} ${c32(2)})`)}
    ${set('ldb', `(i32.shl ${loc('ldb')} ${c32(2)})`)}
    ${set('ldc', `(i32.shl ${loc('ldc')} ${c32(2)})`)}
    ${set('kb', `(i32.shl ${loc('K')} ${c32(2)})`)}
    ${set('i', c32(0))}
    (block $i4end (loop $i4loop (br_if $i4end (i32.gt_u ${add(loc('i'), c32(R))} ${loc('M')}))
      ${rows(R, fma)}
      ${set('i', add(loc('i'), c32(R)))} (br $i4loop)))
    (block $i1end (loop $i1loop (br_if $i1end (i32.ge_u ${loc('i')} ${loc('M')}))
      ${rows(1, fma)}
      ${set('i', add(loc('i'), c32(1)))} (br $i1loop)))
  )
${convHelpers}
${elementwise()}
)
`;
}
