import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { buildArchSpec, VAMP_PSEUDO_INPUTS } from '@vae/format';
import { initParams, vaeModelFromParams } from './vae.js';
import { encodePseudoInputs, logNormalPairs, logPosterior, vampKlEstimate, vampLogPrior, VampPriorError } from './vamp-prior.js';

const LOG_2PI = Math.log(2 * Math.PI);

// Two components over a 2-D latent: N((0,0), I) and N((1,-1), diag(4, 1)).
const components = () => ({ mu: tf.tensor2d([[0, 0], [1, -1]]), logvar: tf.tensor2d([[0, 0], [Math.log(4), 0]]) });

describe('VampPrior maths (hand-computed)', () => {
  it('log N(z; mu_k, diag exp(logvar_k)) for every row and component', () => {
    const c = components();
    const z = tf.tensor2d([[0.5, -1], [2, 0]]);
    const got = logNormalPairs(z, c.mu, c.logvar).arraySync();
    // z1 = (0.5, -1): k1: -1/2 (0.25 + 1) - log 2pi = -2.46288; k2: -1/2 (0.25/4 + 0) - 1/2 ln 4 - log 2pi = -2.56227.
    // z2 = (2, 0):    k1: -1/2 (4 + 0) - log 2pi = -3.83788;   k2: -1/2 (1/4 + 1) - 1/2 ln 4 - log 2pi = -3.15602.
    const want = [[-2.4628770664093453, -2.5622742469692907], [-3.8378770664093453, -3.1560242469692907]];
    want.forEach((row, i) => row.forEach((v, k) => expect(got[i][k]).toBeCloseTo(v, 5)));
  });

  it('log p(z) = logsumexp_k log N(z; mu_k, sigma_k) - log K for K = 2, latent 2', () => {
    const got = vampLogPrior(tf.tensor2d([[0.5, -1], [2, 0]]), components()).arraySync();
    // log((e^-2.46288 + e^-2.56227) / 2) and log((e^-3.83788 + e^-3.15602) / 2).
    expect(got[0]).toBeCloseTo(-2.5113411898045084, 5);
    expect(got[1]).toBeCloseTo(-3.439927341023175, 5);
  });

  it('the Monte-Carlo KL is log q(z|x) - log p(z) at z = mu + sigma * eps', () => {
    // Row 1: q = N((0,0), I), eps = (0.5, -1), so z = (0.5, -1) and log q = -2.46288.
    // Row 2: q = N((1,1), diag(1/4, 1)), eps = (2, -1), so z = (2, 0) and log q = -1/2 (4 + 1 + ln 1/4) - log 2pi.
    const mu = tf.tensor2d([[0, 0], [1, 1]]);
    const logvar = tf.tensor2d([[0, 0], [Math.log(0.25), 0]]);
    const eps = tf.tensor2d([[0.5, -1], [2, -1]]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
    expect(z.arraySync()).toEqual([[0.5, -1], [2, 0]]);
    expect(logPosterior(eps, logvar).arraySync()[1]).toBeCloseTo(-0.5 * (4 + 1 + Math.log(0.25)) - LOG_2PI, 5);
    const kl = vampKlEstimate(z, eps, logvar, components()).arraySync();
    expect(kl[0]).toBeCloseTo(0.04846412339516304, 5);
    expect(kl[1]).toBeCloseTo(-0.20480254482622495, 5);
  });

  it('with K = 1 and a pseudo-input encoded as (0, 0), the mixture is the standard normal log density', () => {
    const spec = buildArchSpec({ arch: 'mlp', channels: [4], latent: 2, imageShape: [2, 2, 1], prior: { kind: 'vamp', components: 1 } });
    const params = initParams(spec, 3);
    // Zero heads: mu = 0 and logvar = 0 whatever the pseudo-input is.
    for (const n of ['encoder/mu/kernel', 'encoder/mu/bias', 'encoder/logvar/kernel', 'encoder/logvar/bias']) params.get(n)!.fill(0);
    const model = vaeModelFromParams(spec, params);
    const c = encodePseudoInputs(model);
    expect(c.mu.arraySync()).toEqual([[0, 0]]);
    expect(c.logvar.arraySync()).toEqual([[0, 0]]);
    const zs = [[0.5, -1], [2, 0], [-3, 1.5]];
    const got = vampLogPrior(tf.tensor2d(zs), c).arraySync();
    zs.forEach((z, i) => expect(got[i]).toBeCloseTo(-0.5 * (z[0] ** 2 + z[1] ** 2) - LOG_2PI, 5));
    model.dispose();
  });

  it('encodes the pseudo-inputs through sigmoid: the encoder sees sigmoid(w), not w', () => {
    const spec = buildArchSpec({ arch: 'mlp', channels: [3], latent: 1, imageShape: [1, 2, 1], prior: { kind: 'vamp', components: 1 } });
    const p = initParams(spec, 1);
    // fc1 = identity-ish on pixel 0 (relu keeps positives), mu reads it: mu = sigmoid(w_0).
    p.set('encoder/fc1/kernel', Float32Array.from([1, 0, 0, 0, 0, 0]));
    p.set('encoder/fc1/bias', new Float32Array(3));
    p.set('encoder/mu/kernel', Float32Array.from([1, 0, 0]));
    p.set('encoder/mu/bias', new Float32Array(1));
    p.set(VAMP_PSEUDO_INPUTS, Float32Array.from([2, -7]));
    const model = vaeModelFromParams(spec, p);
    expect(encodePseudoInputs(model).mu.arraySync()[0][0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    model.dispose();
  });

  it('refuses a model without a VampPrior with a typed error', () => {
    const model = vaeModelFromParams(buildArchSpec({ arch: 'mlp', channels: [3], latent: 1, imageShape: [1, 2, 1] }), initParams(buildArchSpec({ arch: 'mlp', channels: [3], latent: 1, imageShape: [1, 2, 1] }), 1));
    expect(() => encodePseudoInputs(model)).toThrow(VampPriorError);
    expect(() => encodePseudoInputs(model)).toThrow(/the model has no VampPrior \(no prior\/pseudo_inputs weight\); train it with --prior vamp/);
    model.dispose();
  });
});

describe('logImportanceWeights with another prior', () => {
  it('given the standard normal log density as log p(z), equals the N(0, I) weights; given the mixture, uses it', async () => {
    const { logImportanceWeights } = await import('./loss.js');
    const eps = tf.tensor2d([[0.5, -1], [2, -1]]);
    const logvar = tf.tensor2d([[0, 0], [Math.log(0.25), 0]]);
    const z = tf.tensor2d([[0.5, -1], [2, 0]]);
    const nll = tf.tensor1d([10, 20]);
    const std = logImportanceWeights(nll, z, eps, logvar).arraySync();
    const logPz = tf.tensor1d([-0.5 * 1.25 - LOG_2PI, -0.5 * 4 - LOG_2PI]);
    const same = logImportanceWeights(nll, z, eps, logvar, 1, logPz).arraySync();
    std.forEach((v, i) => expect(same[i]).toBeCloseTo(v, 5));
    // With the mixture: -nll - KL estimate (klWeight 1), the hand values above.
    const mix = logImportanceWeights(nll, z, eps, logvar, 1, vampLogPrior(z, components())).arraySync();
    expect(mix[0]).toBeCloseTo(-10 - 0.04846412339516304, 5);
    expect(mix[1]).toBeCloseTo(-20 + 0.20480254482622495, 5);
  });
});
