/**
 * The demo page: everything here goes through the public `@vae/sdk` API, the
 * way any web app would use it. The bundler picks the SDK's browser entry from
 * its `exports` map; the model and the onnxruntime-web wasm files are served
 * by this app (see vite.config.ts), so the page works offline.
 */
import { VAE, VAEDeviceError, fromImageData, tile, toImageData } from '@vae/sdk';
import type { Device, ImageBatch, PathResult, RestyleResult, SampleResult } from '@vae/sdk';
import { demoCvae, demoEmoji, demoModel } from './model';

type Endpoint = { kind: 'latent'; data: Float32Array; label: string } | { kind: 'image'; data: Float32Array; label: string };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  model: $<HTMLSelectElement>('model'),
  device: $<HTMLSelectElement>('device'),
  worker: $<HTMLInputElement>('worker'),
  bytes: $<HTMLDivElement>('bytes'),
  provider: $<HTMLDivElement>('provider'),
  timing: $<HTMLDivElement>('timing'),
  notice: $<HTMLDivElement>('notice'),
  error: $<HTMLDivElement>('error'),
  seed: $<HTMLInputElement>('seed'),
  reseed: $<HTMLButtonElement>('reseed'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureValue: $<HTMLOutputElement>('temperature-value'),
  grid: $<HTMLCanvasElement>('grid'),
  pad: $<HTMLCanvasElement>('pad'),
  recon: $<HTMLCanvasElement>('recon'),
  clear: $<HTMLButtonElement>('clear'),
  drawA: $<HTMLButtonElement>('draw-a'),
  drawB: $<HTMLButtonElement>('draw-b'),
  endA: $<HTMLCanvasElement>('end-a'),
  endB: $<HTMLCanvasElement>('end-b'),
  method: $<HTMLSelectElement>('method'),
  steps: $<HTMLInputElement>('steps'),
  stepsValue: $<HTMLOutputElement>('steps-value'),
  interp: $<HTMLCanvasElement>('interp'),
  latentOut: $<HTMLCanvasElement>('latent-out'),
  sliders: $<HTMLDivElement>('sliders'),
  latentZero: $<HTMLButtonElement>('latent-zero'),
  latentFromA: $<HTMLButtonElement>('latent-from-a'),
  modelInfo: $<HTMLSpanElement>('model-info'),
  digit: $<HTMLSelectElement>('digit'),
  cgrid: $<HTMLCanvasElement>('cgrid'),
  restyleFrom: $<HTMLSelectElement>('restyle-from'),
  restyleGuess: $<HTMLOutputElement>('restyle-guess'),
  restyle: $<HTMLCanvasElement>('restyle'),
};

const state = {
  vae: null as VAE | null,
  /** The conditional model (mnist-cvae), on the same device as `vae`. */
  cvae: null as VAE | null,
  grid: null as SampleResult | null,
  /** 16 samples of the picked digit from `cvae`. */
  cgrid: null as SampleResult | null,
  /** The drawn digit as every class, and the class it was encoded as. */
  restyle: null as RestyleResult | null,
  restyleFrom: null as number | null,
  a: null as Endpoint | null,
  b: null as Endpoint | null,
  drawn: null as ImageBatch | null,
  recon: null as PathResult | null,
  interp: null as PathResult | null,
  latent: new Float32Array(0),
  latentImage: null as ImageBatch | null,
  timings: [] as string[],
  /** Render tasks in flight (the tests wait for 0). */
  busy: 0,
  loading: true,
  renders: 0,
  loads: 0,
};

/** Read-only test hook: the live `VAE` and what the page last rendered. */
(window as unknown as { __vae: unknown }).__vae = {
  get vae() {
    return state.vae;
  },
  get cvae() {
    return state.cvae;
  },
  get state() {
    return state;
  },
};

// ---------------------------------------------------------------- helpers

function draw(canvas: HTMLCanvasElement, images: ImageBatch): void {
  const img = toImageData(images);
  if (canvas.width !== img.width || canvas.height !== img.height) {
    canvas.width = img.width;
    canvas.height = img.height;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

/** Runs one SDK call, records its wall time on the current provider. */
async function timed<T>(label: string, fn: (vae: VAE) => Promise<T>, which: 'vae' | 'cvae' = 'vae'): Promise<T> {
  const vae = state[which];
  if (!vae) throw new Error('model not loaded');
  const t0 = performance.now();
  const out = await fn(vae);
  const ms = performance.now() - t0;
  state.timings = [`${label} ${ms.toFixed(1)} ms`, ...state.timings].slice(0, 3);
  ui.timing.textContent = `${vae.info.executionProvider}: ${state.timings.join(' · ')}`;
  return out;
}

function showError(e: unknown): void {
  console.error(e);
  ui.error.hidden = false;
  ui.error.textContent = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function notice(text: string | null): void {
  ui.notice.hidden = !text;
  ui.notice.textContent = text ?? '';
}

/** Coalesces bursts of input events: at most one call in flight, the latest request wins. */
function latest(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const go = async () => {
    // While a device switch is loading, skip: the switch re-renders everything when ready.
    if (!state.vae) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    state.busy++;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } catch (e) {
      showError(e);
    } finally {
      running = false;
      state.busy--;
      state.renders++;
    }
  };
  return () => void go();
}

// ---------------------------------------------------------------- model / device

/** The picked unconditional model: digits (the SDK's own MNIST model) or emoji (@vae/model-emoji). */
async function mainModel() {
  return ui.model.value === 'emoji' ? demoEmoji() : demoModel();
}

/** Whether the main model reads drawings as MNIST digits (1×28×28) rather than as pictures to crop and resize. */
function isDigitModel(vae: VAE): boolean {
  const [c, h, w] = vae.info.imageShape;
  return c === 1 && h === 28 && w === 28;
}

async function load(requested: Device): Promise<void> {
  ui.provider.dataset.state = 'loading';
  ui.provider.textContent = `starting ${requested}…`;
  ui.error.hidden = true;
  state.loading = true;
  const [old, oldCvae] = [state.vae, state.cvae];
  state.vae = null;
  state.cvae = null;
  await Promise.all([old?.dispose(), oldCvae?.dispose()]);
  let fallback: string | null = null;
  let vae: VAE;
  // One progress line for everything a load reads: model files and the runtime's wasm (0 B again on a cached visit).
  const files = new Map<string, number>();
  const t0 = performance.now();
  const onProgress = (p: { file: string; loaded: number }) => {
    files.set(p.file, p.loaded);
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    ui.bytes.textContent = `${(total / 1024).toFixed(0)} KiB read (${[...files.keys()].join(', ')}) · ${(performance.now() - t0).toFixed(0)} ms`;
  };
  const opts = { worker: ui.worker.checked, onProgress };
  try {
    vae = await VAE.load(await mainModel(), { device: requested, ...opts }); // digits: undefined → the model shipped in @vae/sdk
  } catch (e) {
    if (!(e instanceof VAEDeviceError) || requested !== 'webgpu') throw e;
    // An explicit WebGPU request on a browser without it: say so and keep working on wasm.
    fallback = e.message.replace(/^device 'webgpu' could not start:\s*/, '').replace(/^\s*-\s*webgpu:\s*/, '');
    vae = await VAE.load(await mainModel(), { device: 'wasm', ...opts });
  }
  // The conditional model runs where the first one ended up (after any fallback).
  const cvae = await VAE.load(await demoCvae(), { device: vae.info.device, ...opts });
  const skippedGpu = vae.info.skipped.find((s) => s.device === 'webgpu');
  if (!fallback && requested === 'auto' && skippedGpu && vae.info.device !== 'webgpu') fallback = skippedGpu.reason;
  notice(fallback ? `WebGPU is unavailable here, so the model runs on wasm instead. (${fallback})` : null);
  state.vae = vae;
  state.cvae = cvae;
  state.loading = false;
  state.loads++;
  const { info } = vae;
  ui.provider.dataset.state = info.executionProvider;
  ui.provider.textContent = `${info.executionProvider} · ${info.runtime}${info.worker ? ' · worker' : ''}`;
  ui.provider.title = `device ${info.device}; execution provider ${info.executionProvider}`;
  const m = info.manifest;
  const c = cvae.info.manifest;
  ui.modelInfo.textContent = `model “${m.name}” · ${m.arch} · ${m.imageShape.join('×')} · latent ${m.latent} · ${((m.graphs.encoder.bytes + m.graphs.decoder.bytes) / 1024).toFixed(0)} KiB · conditional “${c.name}” · ${c.arch} · ${cvae.info.condition?.classes} classes · ${((c.graphs.encoder.bytes + c.graphs.decoder.bytes) / 1024).toFixed(0)} KiB · ${crossOriginIsolated ? 'cross-origin isolated' : 'not isolated (1 wasm thread)'}`;
  if (state.latent.length !== info.latent) buildSliders(info.latent);
}

ui.model.addEventListener('change', () => {
  void (async () => {
    try {
      // Endpoints, drawing and sliders belong to the old model's shapes: start over as on page load
      // (firstGrid is set again once the new model's grid is drawn, for tests and benchmarks).
      delete document.body.dataset.firstGrid;
      state.a = state.b = null;
      state.interp = state.recon = null;
      await load(ui.device.value as Device);
      await firstRender();
      if (state.drawn) renderRecon();
    } catch (e) {
      showError(e);
    }
  })();
});

for (const control of [ui.device, ui.worker]) control.addEventListener('change', () => {
  void (async () => {
    try {
      await load(ui.device.value as Device);
      await renderAll();
    } catch (e) {
      showError(e);
    }
  })();
});

// ---------------------------------------------------------------- sample grid

const renderGrid = latest(async () => {
  const seed = Number(ui.seed.value) >>> 0;
  const temperature = Number(ui.temperature.value);
  const grid = await timed('sample(16)', (vae) => vae.sample(16, { seed, temperature }));
  state.grid = grid;
  draw(ui.grid, tile(grid, { cols: 4, padding: 2, background: 0.16 }));
});

ui.seed.addEventListener('change', () => {
  renderGrid();
  renderCond();
});
ui.reseed.addEventListener('click', () => {
  ui.seed.value = String(Math.floor(Math.random() * 2 ** 32));
  renderGrid();
  renderCond();
});
ui.temperature.addEventListener('input', () => {
  ui.temperatureValue.textContent = Number(ui.temperature.value).toFixed(2);
  renderGrid();
  renderCond();
});

function gridLatent(i: number): Endpoint {
  const L = state.grid!.latents.shape[1];
  return { kind: 'latent', data: state.grid!.latents.data.slice(i * L, (i + 1) * L), label: `sample #${i}` };
}

ui.grid.addEventListener('click', (ev) => {
  if (!state.grid) return;
  const r = ui.grid.getBoundingClientRect();
  const px = ((ev.clientX - r.left) / r.width) * ui.grid.width;
  const py = ((ev.clientY - r.top) / r.height) * ui.grid.height;
  // Cells are the model's image size plus the 2-pixel padding of tile().
  const [, , h, w] = state.grid.shape;
  const col = Math.min(3, Math.floor((px - 1) / (w + 2)));
  const row = Math.min(3, Math.floor((py - 1) / (h + 2)));
  const end = gridLatent(row * 4 + col);
  if (ev.shiftKey) state.b = end;
  else state.a = end;
  renderInterp();
});

// ---------------------------------------------------------------- conditional: digit picker

const renderCond = latest(async () => {
  const label = Number(ui.digit.value);
  const seed = Number(ui.seed.value) >>> 0;
  const temperature = Number(ui.temperature.value);
  const grid = await timed(`sample(16, label ${label})`, (cvae) => cvae.sample(16, { seed, temperature, label }), 'cvae');
  state.cgrid = grid;
  draw(ui.cgrid, tile(grid, { cols: 4, padding: 2, background: 0.16 }));
});
ui.digit.addEventListener('change', renderCond);

/**
 * The class the conditional model finds most likely for one image: the
 * lowest negative ELBO over the classes, posterior mean decoded (as the CLI's
 * `vae restyle` without `--from`).
 */
async function mostLikely(cvae: VAE, image: ImageBatch): Promise<number> {
  const K = cvae.info.condition!.classes;
  const labels = Array.from({ length: K }, (_, k) => k);
  const x = new Float32Array(K * 784);
  for (let k = 0; k < K; k++) x.set(image.data, k * 784);
  const { mu, logvar } = await cvae.encode({ data: x, shape: [K, 1, 28, 28] }, { label: labels });
  const logits = (await cvae.decode(mu, { output: 'logits', label: labels })).data;
  const L = cvae.latent;
  const nelbo = labels.map((k) => {
    let s = 0;
    for (let i = k * L; i < (k + 1) * L; i++) s += 0.5 * (mu.data[i] ** 2 + Math.exp(logvar.data[i]) - logvar.data[i] - 1);
    for (let i = 0; i < 784; i++) {
      const l = logits[k * 784 + i];
      s += Math.max(l, 0) - l * image.data[i] + Math.log1p(Math.exp(-Math.abs(l)));
    }
    return s;
  });
  return nelbo.indexOf(Math.min(...nelbo));
}

const renderRestyle = latest(async () => {
  if (!state.drawn) return;
  const drawn = state.drawn;
  const from = ui.restyleFrom.value === 'auto' ? await timed('guess class', (cvae) => mostLikely(cvae, drawn), 'cvae') : Number(ui.restyleFrom.value);
  ui.restyleGuess.textContent = ui.restyleFrom.value === 'auto' ? `looks like a ${from}` : '';
  const row = await timed('restyle(1 → all)', (cvae) => cvae.restyle(drawn, { from, to: 'all' }), 'cvae');
  state.restyle = row;
  state.restyleFrom = from;
  draw(ui.restyle, tile(row, { cols: row.shape[0], padding: 2, background: 0.16 }));
});
ui.restyleFrom.addEventListener('change', renderRestyle);

// ---------------------------------------------------------------- drawing pad

const pad = ui.pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  pad.fillStyle = '#000';
  pad.fillRect(0, 0, ui.pad.width, ui.pad.height);
}
clearPad();

/** The pad as digit input: white strokes on black, with the MNIST preparation (cropped, fitted into 20×20, centred by mass). */
function padPixels(): ImageBatch {
  return fromImageData(pad.getImageData(0, 0, ui.pad.width, ui.pad.height), { invert: false });
}

/** The pad as the main model's input: a digit for the digit model, else the picture centre-cropped and resized to the model's shape. */
function padForModel(vae: VAE): ImageBatch {
  return isDigitModel(vae) ? padPixels() : fromImageData(pad.getImageData(0, 0, ui.pad.width, ui.pad.height), { shape: vae.info.imageShape });
}

const renderRecon = latest(async () => {
  const drawn = padPixels();
  const recon = await timed('reconstruct(1)', (vae) => vae.reconstruct(padForModel(vae)));
  state.drawn = drawn;
  state.recon = recon;
  draw(ui.recon, recon);
  renderRestyle();
});

let stroke: { x: number; y: number } | null = null;
function padPoint(ev: PointerEvent): { x: number; y: number } {
  const r = ui.pad.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) / r.width) * ui.pad.width, y: ((ev.clientY - r.top) / r.height) * ui.pad.height };
}
ui.pad.addEventListener('pointerdown', (ev) => {
  ui.pad.setPointerCapture(ev.pointerId);
  stroke = padPoint(ev);
});
ui.pad.addEventListener('pointermove', (ev) => {
  if (!stroke) return;
  const p = padPoint(ev);
  pad.strokeStyle = '#fff';
  pad.lineWidth = 22;
  pad.lineCap = 'round';
  pad.lineJoin = 'round';
  pad.beginPath();
  pad.moveTo(stroke.x, stroke.y);
  pad.lineTo(p.x, p.y);
  pad.stroke();
  stroke = p;
  renderRecon();
});
const endStroke = () => {
  if (!stroke) return;
  stroke = null;
  renderRecon();
};
ui.pad.addEventListener('pointerup', endStroke);
ui.pad.addEventListener('pointercancel', endStroke);
ui.clear.addEventListener('click', () => {
  clearPad();
  renderRecon();
});
ui.drawA.addEventListener('click', () => {
  if (!state.vae) return;
  state.a = { kind: 'image', data: padForModel(state.vae).data, label: 'drawing' };
  renderInterp();
});
ui.drawB.addEventListener('click', () => {
  if (!state.vae) return;
  state.b = { kind: 'image', data: padForModel(state.vae).data, label: 'drawing' };
  renderInterp();
});

// ---------------------------------------------------------------- interpolation

const renderInterp = latest(async () => {
  const { a, b } = state;
  if (!a || !b) return;
  const steps = Number(ui.steps.value);
  const method = ui.method.value as 'linear' | 'slerp';
  const path = await timed(`interpolate(${steps})`, (vae) =>
    vae.interpolate(a.data, b.data, { steps, method, input: a.kind === b.kind ? a.kind : 'auto' }),
  );
  state.interp = path;
  draw(ui.interp, tile(path, { cols: steps, padding: 2, background: 0.16 }));
  // The ends as decoded: for a drawing that is its reconstruction.
  const L = path.latents.shape[1];
  const ends = await timed('decode(2)', (vae) =>
    vae.decode({ data: new Float32Array([...path.latents.data.subarray(0, L), ...path.latents.data.subarray((steps - 1) * L)]), shape: [2, L] }),
  );
  const [, c, h, w] = ends.shape;
  draw(ui.endA, { data: ends.data.subarray(0, c * h * w), shape: [1, c, h, w] });
  draw(ui.endB, { data: ends.data.subarray(c * h * w), shape: [1, c, h, w] });
});
ui.method.addEventListener('change', renderInterp);
ui.steps.addEventListener('input', () => {
  ui.stepsValue.textContent = ui.steps.value;
  renderInterp();
});

// ---------------------------------------------------------------- latent sliders

const renderLatent = latest(async () => {
  const z = state.latent.slice();
  const img = await timed('decode(1)', (vae) => vae.decode({ data: z, shape: [1, z.length] }));
  state.latentImage = img;
  draw(ui.latentOut, img);
});

function buildSliders(n: number): void {
  state.latent = new Float32Array(n);
  ui.sliders.replaceChildren();
  for (let i = 0; i < n; i++) {
    const s = document.createElement('input');
    s.type = 'range';
    s.min = '-3';
    s.max = '3';
    s.step = '0.05';
    s.value = '0';
    s.title = `z[${i}]`;
    s.setAttribute('aria-label', `latent dimension ${i}`);
    s.dataset.dim = String(i);
    s.addEventListener('input', () => {
      state.latent[i] = Number(s.value);
      renderLatent();
    });
    ui.sliders.append(s);
  }
}

function setLatent(z: Float32Array): void {
  state.latent.set(z);
  ui.sliders.querySelectorAll('input').forEach((s, i) => {
    s.value = String(z[i]);
  });
  renderLatent();
}

ui.latentZero.addEventListener('click', () => setLatent(new Float32Array(state.latent.length)));
ui.latentFromA.addEventListener('click', () => {
  if (state.interp) setLatent(state.interp.latents.data.slice(0, state.latent.length));
});

// ---------------------------------------------------------------- start

async function renderAll(): Promise<void> {
  renderGrid();
  renderCond();
  renderInterp();
  renderLatent();
  if (state.drawn) renderRecon();
}

async function start(): Promise<void> {
  // `?device=wasm|webgpu|auto` preselects the device (links, benchmarks).
  const wanted = new URLSearchParams(location.search).get('device');
  if (wanted && [...ui.device.options].some((o) => o.value === wanted)) ui.device.value = wanted;
  // `?worker=1` starts with the SDK's worker on.
  ui.worker.checked = new URLSearchParams(location.search).get('worker') === '1';
  // `?model=emoji` starts with the emoji model.
  const pick = new URLSearchParams(location.search).get('model');
  if (pick && [...ui.model.options].some((o) => o.value === pick)) ui.model.value = pick;
  await load(ui.device.value as Device);
  await firstRender();
}

/** The grid, its first two samples as the interpolation's ends, and the sliders at sample 0. */
async function firstRender(): Promise<void> {
  const seed = Number(ui.seed.value) >>> 0;
  const grid = await timed('sample(16)', (vae) => vae.sample(16, { seed, temperature: Number(ui.temperature.value) }));
  state.grid = grid;
  draw(ui.grid, tile(grid, { cols: 4, padding: 2, background: 0.16 }));
  document.body.dataset.firstGrid = String(performance.now());
  state.a = gridLatent(0);
  state.b = gridLatent(1);
  setLatent(state.a.data);
  renderInterp();
  renderCond();
}

start().catch(showError);
