/**
 * Adam on tfjs variables, shared by the VAE's TrainStep and the classifier:
 * moments in plain variables and bias corrections from the step count in
 * float64 (PyTorch's `torch.optim.Adam` formulas), rather than tfjs'
 * AdamOptimizer, whose running float32 beta powers a restored run cannot
 * reproduce bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { VAE_ADAM_UPDATE } from '../kernels/adam-update.js';
import { projectKernelActive } from '../kernels/project-kernel-active.js';

/** Adam hyper-parameters; defaults are PyTorch's. */
export interface AdamSettings {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam state for a fixed list of variables. */
export class Adam {
  /** First-moment estimates, one per variable, in the constructor's order. */
  readonly m: tf.Variable[];
  /** Second-moment estimates, one per variable. */
  readonly v: tf.Variable[];
  private t = 0;

  constructor(
    private readonly vars: tf.Variable[],
    /** Mutable so that a schedule can change `lr` between steps. */
    public settings: AdamSettings,
  ) {
    this.m = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
    this.v = tf.tidy(() => vars.map((p) => tf.variable(tf.zerosLike(p), false)));
  }

  /** Steps taken so far; set when restoring a saved state (with {@link m} and {@link v}). */
  get iterations(): number {
    return this.t;
  }

  set iterations(t: number) {
    this.t = t;
  }

  /** One update from gradients keyed by variable name (as `tf.variableGrads` returns them). */
  apply(grads: tf.NamedTensorMap): void {
    this.t++;
    const { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = this.settings;
    const stepSize = lr / (1 - beta1 ** this.t);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.t);
    // On the cpu backend one fused kernel per variable (same bits as the ops below).
    const fused = projectKernelActive(VAE_ADAM_UPDATE);
    const attrs = { beta1, beta2, epsilon, stepSize, sqrtBc2 } as unknown as NamedAttrMap;
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = grads[p.name];
        if (!g) throw new Error(`no gradient for ${p.name}`);
        if (fused) {
          const [np, nm, nv] = tf.engine().runKernel(VAE_ADAM_UPDATE, { p, m: this.m[i], v: this.v[i], g }, attrs) as unknown as tf.Tensor[];
          this.m[i].assign(nm);
          this.v[i].assign(nv);
          p.assign(np);
          return;
        }
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), sqrtBc2), epsilon)), stepSize)));
      });
    });
  }

  /** Releases the moment tensors. */
  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
