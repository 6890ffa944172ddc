import { describe, expect, it } from 'vitest';
import { ArchConfigError, buildArchSpec, VAMP_PSEUDO_INPUTS, weightShapes } from './arch-spec.js';
import { checkArchSpec } from './check-arch-spec.js';
import { validateCheckpointHeader } from './checkpoint/header-schema.js';
import { CheckpointError } from './checkpoint/checkpoint-error.js';

const archError = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('accepted it');
};

describe('ArchConfig.prior (VampPrior)', () => {
  it('lists the pseudo-inputs as a weight [K, H, W, C] after every layer weight', () => {
    const plain = weightShapes(buildArchSpec({ arch: 'small' }));
    const vamp = weightShapes(buildArchSpec({ arch: 'small', prior: { kind: 'vamp', components: 7 } }));
    expect([...vamp.keys()]).toEqual([...plain.keys(), VAMP_PSEUDO_INPUTS]);
    expect(vamp.get(VAMP_PSEUDO_INPUTS)).toEqual([7, 28, 28, 1]);
  });

  it('leaves a config without a prior exactly as before (no prior key)', () => {
    expect('prior' in buildArchSpec({ arch: 'small' }).config).toBe(false);
    expect(JSON.stringify(buildArchSpec({ arch: 'mlp' }).config)).toBe('{"arch":"mlp","latent":20,"channels":[400],"kernel":0,"imageShape":[28,28,1]}');
  });

  it('round-trips through checkArchSpec as JSON (a checkpoint header)', () => {
    const spec = buildArchSpec({ arch: 'mlp', prior: { kind: 'vamp', components: 3 } });
    expect(checkArchSpec(JSON.parse(JSON.stringify(spec))).config.prior).toEqual({ kind: 'vamp', components: 3 });
  });

  it.each([
    [{ kind: 'vamp', components: 0 }, 'prior.components is 0; expected an integer in [1, 4096]'],
    [{ kind: 'vamp', components: 4097 }, 'prior.components is 4097; expected an integer in [1, 4096]'],
    [{ kind: 'vamp', components: 2.5 }, 'prior.components is 2.5; expected an integer in [1, 4096]'],
    [{ kind: 'flow', components: 2 }, 'prior.kind is "flow"; expected "vamp"'],
    [{ kind: 'vamp', components: 2, extra: 1 }, 'prior has "extra"; expected only kind and components'],
    [null, 'prior is null; expected { "kind": "vamp", "components": K }'],
  ])('refuses prior %j with an ArchConfigError naming the field', (prior, message) => {
    const e = archError(() => buildArchSpec({ arch: 'small', prior: prior as never }));
    expect(e).toBeInstanceOf(ArchConfigError);
    expect(e.message).toContain(message);
  });

  it('refuses a conditional model and the BatchNorm arch, saying why', () => {
    const cond = archError(() => buildArchSpec({ arch: 'small', classes: 10, prior: { kind: 'vamp', components: 4 } }));
    expect(cond).toBeInstanceOf(ArchConfigError);
    expect(cond.message).toMatch(/prior "vamp" is not supported on a conditional model \(classes 10\): its mixture would need a label per pseudo-input/);
    const bn = archError(() => buildArchSpec({ arch: 'celeba', prior: { kind: 'vamp', components: 4 } }));
    expect(bn).toBeInstanceOf(ArchConfigError);
    expect(bn.message).toMatch(/not supported on the celeba arch: encoding the pseudo-inputs would move its BatchNorm statistics/);
  });

  it('is refused in a checkpoint header when out of range, naming arch.config.prior.components', () => {
    const spec = buildArchSpec({ arch: 'small', prior: { kind: 'vamp', components: 2 } });
    const bad = JSON.parse(JSON.stringify(spec));
    bad.config.prior.components = 5000;
    const e = archError(() => validateCheckpointHeader({ format: 'vae-checkpoint', formatVersion: 1, arch: bad }, 1, 0));
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.message).toContain('arch.config.prior.components');
  });
});
