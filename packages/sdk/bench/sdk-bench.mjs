#!/usr/bin/env node
/**
 * `pnpm bench:sdk`: every figure measured in this one run.
 *
 * 1. decode throughput at batch 1, 64, 1024: SDK `vae.decode` vs a raw
 *    onnxruntime-node session on the same decoder bytes and session options
 *    (fetching `x` only, like the SDK; the default all-outputs run is shown too);
 *    rounds are interleaved and the median kept, so drift hits both alike;
 * 2. PyTorch eager on the same weights (read from decoder.onnx) via /usr/bin/python3;
 * 3. cold start: process spawn → first `sample` done, in a fresh Node process
 *    loading the bundled model with `VAE.load()` (no argument);
 * 4. memory over 10,000 `sample` calls (heap and RSS after GC, per 2,500 calls).
 *
 * Thresholds (issue 4) are checked, not just labelled: SDK ≥ 0.95× raw ORT at
 * batch 64, cold start ≤ 300 ms, no memory growth, PyTorch present and on the
 * same weights. Any FAIL sets exit code 1 (after the whole table is printed).
 *
 * usage: node --expose-gc packages/sdk/bench/sdk-bench.mjs [--model DIR] [--threads N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const distNode = join(pkgDir, 'dist', 'node.js');
if (!existsSync(distNode)) {
  console.error('bench:sdk needs the built SDK: run `npx -y pnpm@10.34.9 --filter @vae/sdk build` first');
  process.exit(1);
}
const { values } = parseArgs({ options: { model: { type: 'string' }, threads: { type: 'string' } } });
const sdk = await import(pathToFileURL(distNode).href);
const ort = await import('onnxruntime-node');
const modelDir = resolve(values.model ?? sdk.bundledModelDir());
if (!existsSync(join(modelDir, 'model.json'))) {
  console.error(`no model at ${modelDir}; pass --model DIR (a folder with model.json, encoder.onnx, decoder.onnx)`);
  process.exit(1);
}
const threads = Number(values.threads ?? availableParallelism());
const gc = globalThis.gc ?? (() => {});
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (v, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [];
const failures = [];
/** A threshold check: PASS/FAIL note for the row, and FAIL recorded for the exit code. */
const verdict = (ok, pass, fail) => {
  if (!ok) failures.push(fail);
  return ok ? `PASS (${pass})` : `FAIL (${fail})`;
};
const TORCH_HINT = 'install it with `sudo apt-get install python3-torch` (Debian\'s PyTorch for /usr/bin/python3)';
const row = (what, value, note = '') => {
  rows.push([what, value, note]);
  console.log(`  ${what.padEnd(44)} ${String(value).padStart(14)}  ${note}`);
};

console.log(`model ${modelDir}\nnode ${process.version}, onnxruntime-node ${ort.env.versions?.common ?? '?'}, ${threads} intra-op threads, cpu EP\n`);

// ---- 1. throughput: SDK vs raw ORT -------------------------------------------------------------
const vae = await sdk.VAE.load(modelDir, { device: 'cpu', threads });
const L = vae.latent;
const manifest = vae.info.manifest;
const decoderBytes = readFileSync(join(modelDir, manifest.graphs.decoder.file));
// Same options the SDK's node backend uses.
const raw = await ort.InferenceSession.create(decoderBytes, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  interOpNumThreads: 1,
  intraOpNumThreads: threads,
  logSeverityLevel: 3,
});

async function timeRound(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return performance.now() - t0;
}

console.log('decode throughput (images/s, best of 9 interleaved rounds: other processes on the shared cores only ever slow a round down)');
const throughput = {};
for (const batch of [1, 64, 1024]) {
  const z = sdk.gaussianLatents(batch, L, { seed: batch });
  const dims = [batch, L];
  const contenders = {
    sdk: () => vae.decode(z),
    raw: () => raw.run({ z: new ort.Tensor('float32', z, dims) }, ['x']),
    rawAll: () => raw.run({ z: new ort.Tensor('float32', z, dims) }),
  };
  for (const f of Object.values(contenders)) for (let i = 0; i < 20; i++) await f();
  const t1 = await timeRound(contenders.raw, 5);
  const calls = Math.max(5, Math.round((5 * 120) / Math.max(t1, 1e-3)));
  const rates = { sdk: [], raw: [], rawAll: [] };
  for (let r = 0; r < 9; r++) {
    for (const [k, f] of Object.entries(contenders)) rates[k].push((batch * calls) / ((await timeRound(f, calls)) / 1000));
  }
  const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, Math.max(...v)]));
  throughput[batch] = m;
  row(`batch ${batch}: SDK vae.decode`, fmt(m.sdk), `${fmt((1000 * batch) / m.sdk, 4)} ms/call`);
  row(`batch ${batch}: raw ORT session.run (x only)`, fmt(m.raw), `${fmt((1000 * batch) / m.raw, 4)} ms/call`);
  row(`batch ${batch}: raw ORT session.run (all outputs)`, fmt(m.rawAll), '');
  const ratio = m.sdk / m.raw;
  row(`batch ${batch}: SDK / raw ORT`, `${fmt(ratio, 3)}×`, batch === 64 ? verdict(ratio >= 0.95, '>= 0.95', `SDK/raw ${fmt(ratio, 3)}× < 0.95 at batch 64`) : '');
}

// ---- 2. PyTorch eager on the same weights ------------------------------------------------------
console.log('\nPyTorch eager (same decoder.onnx weights, rebuilt op by op in torch)');
const tmp = mkdtempSync(join(tmpdir(), 'vae-bench-'));
const z64 = sdk.gaussianLatents(64, L, { seed: 7 });
const ref = await vae.decode(z64);
writeFileSync(join(tmp, 'z.bin'), z64);
writeFileSync(join(tmp, 'ref.bin'), ref.data);
const py = spawnSync('/usr/bin/python3', [join(here, 'torch_decode.py'), join(modelDir, manifest.graphs.decoder.file), join(tmp, 'z.bin'), join(tmp, 'ref.bin'), String(L), String(threads)], { encoding: 'utf8' });
let torchRes = null;
if (py.status === 0) {
  torchRes = JSON.parse(py.stdout.trim().split('\n').pop());
  row('torch version / threads', `${torchRes.torch} / ${torchRes.threads}`);
  const d = torchRes.maxAbsDiffVsOrt;
  row('max |torch - SDK| on 64 samples', d.toExponential(2), verdict(d < 1e-4, 'same weights confirmed, < 1e-4', `PyTorch output differs from the SDK's by ${d.toExponential(2)} >= 1e-4: not the same weights`));
  for (const b of [1, 64, 1024]) {
    row(`batch ${b}: PyTorch eager`, fmt(torchRes[`b${b}`].imagesPerSec), `${fmt(torchRes[`b${b}`].msPerCall, 4)} ms/call`);
    row(`batch ${b}: SDK / PyTorch`, `${fmt(throughput[b].sdk / torchRes[`b${b}`].imagesPerSec, 2)}×`);
  }
} else {
  const why = (py.stderr || py.error?.message || `exit code ${py.status}`).split('\n').filter(Boolean).pop() ?? '';
  const missing = py.error?.code === 'ENOENT' || /No module named '?torch'?/.test(py.stderr ?? '');
  const msg = missing ? `PyTorch is not installed for /usr/bin/python3 (${why}): ${TORCH_HINT}` : `the PyTorch run failed: ${why}`;
  row('PyTorch eager', missing ? 'not installed' : 'failed', verdict(false, '', msg));
  console.error(`\n  ${msg}\n`);
}

// ---- 3. cold start -------------------------------------------------------------------------------
console.log('\ncold start: spawn → first sample done (fresh process, VAE.load() with no argument: the bundled model)');
const bundledDir = sdk.bundledModelDir();
if (!existsSync(join(bundledDir, 'model.json'))) {
  console.error(`no bundled model at ${bundledDir}: build the package with the trained model in models/mnist (cold start measures VAE.load() with no argument)`);
  failures.push(`cold start: no bundled model at ${bundledDir}`);
} else if (resolve(bundledDir) !== modelDir) {
  console.log(`  (the throughput figures above used --model ${modelDir}; cold start loads the bundled ${bundledDir})`);
}
const child = `
  const { VAE } = await import(${JSON.stringify(pathToFileURL(distNode).href)});
  const vae = await VAE.load();
  await vae.sample(1, { seed: 1 });
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ at: performance.timeOrigin + performance.now(), inProcess: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 }) + '\\n');
  process.exit(0);`;
const cold = [];
const coldInner = [];
const coldCpu = [];
for (let i = 0; i < 7 && existsSync(join(bundledDir, 'model.json')); i++) {
  const started = performance.timeOrigin + performance.now();
  const out = await new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => (buf += d));
    p.on('exit', (code) => (code === 0 ? res(JSON.parse(buf)) : rej(new Error(`cold-start child (VAE.load() with no argument) exited ${code}`))));
  });
  cold.push(out.at - started);
  coldInner.push(out.inProcess);
  coldCpu.push(out.cpuMs);
}
const bare = [];
for (let i = 0; i < 7; i++) {
  const started = performance.timeOrigin + performance.now();
  const out = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(performance.timeOrigin + performance.now()))'], { encoding: 'utf8' });
  bare.push(Number(out.stdout) - started);
}
if (cold.length) {
  const coldMs = median(cold);
  row('spawn → first sample, VAE.load() (median of 7)', `${fmt(coldMs, 1)} ms`, verdict(coldMs <= 300, '<= 300 ms', `cold start ${fmt(coldMs, 1)} ms > 300 ms`));
  row('  of which inside the process', `${fmt(median(coldInner), 1)} ms`, 'performance.now() at first sample');
  row('  CPU time the process used until then', `${fmt(median(coldCpu), 1)} ms`, 'user+sys, less sensitive to other load (threads can exceed wall)');
} else {
  row('spawn → first sample, VAE.load()', 'no bundled model', 'FAIL');
}
row('  reference: bare `node -e` to first line', `${fmt(median(bare), 1)} ms`, `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} on ${availableParallelism()} cores`);

// ---- 4. memory over 10,000 sample calls -----------------------------------------------------
console.log('\nmemory: 10,000 vae.sample(1) calls (after GC)');
const mem = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20, ext: (m.external + m.arrayBuffers) / 2 ** 20 };
};
for (let i = 0; i < 500; i++) await vae.sample(1, { seed: i });
const series = [mem()];
for (let chunk = 0; chunk < 4; chunk++) {
  for (let i = 0; i < 2500; i++) await vae.sample(1, { seed: i });
  series.push(mem());
}
series.forEach((m, i) => row(`after ${i * 2500} calls: heap / rss`, `${fmt(m.heap, 1)} / ${fmt(m.rss, 1)} MiB`, i ? '' : 'baseline after 500 warm-up calls'));
const heapGrowth = series[4].heap - series[1].heap;
const rssGrowth = series[4].rss - series[1].rss;
row(
  'growth 2,500 → 10,000 calls: heap / rss',
  `${fmt(heapGrowth, 2)} / ${fmt(rssGrowth, 1)} MiB`,
  verdict(heapGrowth < 2 && rssGrowth < 16, 'not growing: heap < 2 MiB, rss < 16 MiB', `memory grows over 10,000 sample calls: heap +${fmt(heapGrowth, 2)} MiB, rss +${fmt(rssGrowth, 1)} MiB`),
);
// The same loop on the raw session, to tell the SDK's memory from ONNX Runtime's.
const rawSeries = [];
const z1 = new Float32Array(L);
for (let chunk = 0; chunk < 3; chunk++) {
  for (let i = 0; i < 2500; i++) await raw.run({ z: new ort.Tensor('float32', z1, [1, L]) }, ['x']);
  rawSeries.push(mem());
}
row('raw ORT, same loop: rss growth over 5,000 calls', `${fmt(rawSeries[2].rss - rawSeries[0].rss, 1)} MiB`, 'allocator noise of the runtime itself, for comparison');
if (!globalThis.gc) console.log('  (run with node --expose-gc for exact heap figures)');

await vae.dispose();
await raw.release();

console.log('\n| figure | value | note |\n|---|---:|---|');
for (const [a, b, c] of rows) console.log(`| ${a.trim()} | ${b} | ${c} |`);
if (failures.length) {
  console.error(`\nbench:sdk: ${failures.length} FAIL:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exitCode = 1;
} else {
  console.log('\nbench:sdk: all thresholds PASS');
}
