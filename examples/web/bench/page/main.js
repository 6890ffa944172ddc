// The smallest page that shows a grid of samples: what `pnpm bench:web` times
// from navigation to the first rendered grid, for ?device=…&dtype=…&worker=1.
// It imports only what it uses, as an app would, so the bytes it pulls are the
// SDK's tree-shaken code, one onnxruntime-web build and one model variant.
import { VAE, tile, toImageData } from '@vae/sdk';

const q = new URLSearchParams(location.search);
const options = { device: q.get('device') ?? 'auto', ...(q.get('dtype') ? { dtype: q.get('dtype') } : {}), ...(q.get('worker') === '1' ? { worker: true } : {}), ...(q.get('lazy') === '1' ? { lazyEncoder: true } : {}) };
try {
  const vae = await VAE.load('mnist', options);
  const grid = tile(await vae.sample(16, { seed: 1 }), 4);
  document.getElementById('grid').getContext('2d').putImageData(toImageData(grid), 0, 0);
  await new Promise((r) => requestAnimationFrame(() => r()));
  // performance.now() counts from the navigation's start.
  document.body.dataset.firstGrid = String(performance.now());
  window.__vae = { vae };
} catch (e) {
  const el = document.getElementById('error');
  el.textContent = `${e.name}: ${e.message}`;
  el.hidden = false;
}
