/**
 * The checkpoint header's schema. The header decides what the weights mean
 * (architecture, tensor offsets, epoch, training settings), so every field is
 * checked (type, range, enum), unknown fields are refused, the architecture
 * must be exactly what its own `config` builds, and the tensor index must tile
 * the data section. Each failure is a `CheckpointError` that names the field.
 */
import type { ArchSpec } from '../arch-spec.js';
import { ARCH_DEFAULTS, ARCH_VERSION, BATCH_NORM_STATE, MAX_CLASSES, MAX_RES_BLOCKS, MAX_VAMP_COMPONENTS, buildArchSpec, weightShapes } from '../arch-spec.js';
import { firstDifference } from '../check-arch-spec.js';
import { CheckpointError } from './checkpoint-error.js';
import type { CheckpointHeader } from './format.js';

type Check = (v: unknown, field: string) => void;

/** `train` + `lr` -> `train.lr`; the root is the empty path. */
const sub = (field: string, key: string) => (field ? `${field}.${key}` : key);

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** Validation of one header; `file` goes into every error. */
class HeaderChecker {
  constructor(readonly file?: string) {}

  fail(field: string, expected: string, got: unknown, code: 'bad-header' | 'version' | 'mismatch' = 'bad-header'): never {
    throw new CheckpointError(code, `header field ${field}: expected ${expected}, got ${show(got)}`, this.file);
  }

  obj(fields: Record<string, Check>, optional: Record<string, Check> = {}): Check {
    return (v, field) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field || 'header', 'an object', v);
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!(k in fields) && !(k in optional)) this.fail(sub(field, k), 'no such field', o[k]);
      for (const [k, check] of Object.entries(fields)) {
        if (!(k in o)) this.fail(sub(field, k), 'a value (the field is required)', undefined);
        check(o[k], sub(field, k));
      }
      for (const [k, check] of Object.entries(optional)) if (k in o) check(o[k], sub(field, k));
    };
  }

  int(min: number, max = Number.MAX_SAFE_INTEGER): Check {
    return (v, field) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `an integer in ${min}..${max}`, v);
    };
  }

  num(min: number, opts: { exclusive?: boolean; max?: number } = {}): Check {
    return (v, field) => {
      const ok = typeof v === 'number' && Number.isFinite(v) && (opts.exclusive ? v > min : v >= min) && (opts.max === undefined || v < opts.max);
      if (!ok) this.fail(field, `a finite number ${opts.exclusive ? '>' : '>='} ${min}${opts.max === undefined ? '' : ` and < ${opts.max}`}`, v);
    };
  }

  finite(): Check {
    return (v, field) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number', v);
    };
  }

  str(pattern?: RegExp, what = 'a non-empty string'): Check {
    return (v, field) => {
      if (typeof v !== 'string' || v.length === 0 || (pattern && !pattern.test(v))) this.fail(field, what, v);
    };
  }

  oneOf(values: readonly unknown[]): Check {
    return (v, field) => {
      if (!values.includes(v)) this.fail(field, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
    };
  }

  nullable(check: Check): Check {
    return (v, field) => {
      if (v !== null) check(v, field);
    };
  }

  array(item: Check, opts: { min?: number; max?: number } = {}): Check {
    return (v, field) => {
      if (!Array.isArray(v)) this.fail(field, 'an array', v);
      const a = v as unknown[];
      if (a.length < (opts.min ?? 0) || a.length > (opts.max ?? Infinity)) this.fail(`${field}.length`, `${opts.min ?? 0}..${opts.max ?? 'any'} entries`, a.length);
      a.forEach((x, i) => item(x, `${field}[${i}]`));
    };
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
/** Sane upper bound on any dimension or count, so later arithmetic stays exact. */
const MAX_DIM = 2 ** 31 - 1;

function layerCheck(c: HeaderChecker): Check {
  const size = c.int(1, MAX_DIM);
  const image = c.array(size, { min: 3, max: 3 });
  const activation = c.oneOf(['relu', 'linear']);
  const name = c.str();
  // celeba's convs carry PyTorch BatchNorm2d settings; the spec built from the config must agree with them (archCheck).
  const batchNorm = { batchNorm: c.obj({ momentum: c.num(0, { max: 1 }), eps: c.num(0, { exclusive: true }) }) };
  const byKind: Record<string, Check> = {
    conv2d: c.obj({ kind: () => {}, name, inChannels: size, outChannels: size, kernelSize: size, stride: size, pads: c.obj({ top: c.int(0), bottom: c.int(0), left: c.int(0), right: c.int(0) }), inputShape: image, outputShape: image, activation }, batchNorm),
    conv2dTranspose: c.obj({ kind: () => {}, name, inChannels: size, outChannels: size, kernelSize: size, stride: size, padding: c.int(0), outputPadding: c.int(0), inputShape: image, outputShape: image, activation }, batchNorm),
    dense: c.obj({ kind: () => {}, name, inFeatures: size, outFeatures: size, activation }),
    flatten: c.obj({ kind: () => {}, name, inputShape: image }),
    reshape: c.obj({ kind: () => {}, name, outputShape: image }),
  };
  // A residual block nests exactly two convs; the spec built from the config must agree with them (archCheck).
  byKind.residual = c.obj({ kind: () => {}, name, layers: c.array(byKind.conv2d, { min: 2, max: 2 }), activation });
  return (v, field) => {
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (typeof v !== 'object' || v === null) c.fail(field, 'a layer object', v);
    c.oneOf(Object.keys(byKind))(kind, `${field}.kind`);
    byKind[kind as string](v, field);
  };
}

/** The first path at which two JSON values differ, or null when they are equal. */
function archCheck(c: HeaderChecker): Check {
  const layer = layerCheck(c);
  const shape = c.obj({
    archVersion: (v, f) => {
      if (v !== ARCH_VERSION) c.fail(f, `architecture version ${ARCH_VERSION}`, v, 'version');
    },
    config: c.obj({
      arch: c.oneOf(Object.keys(ARCH_DEFAULTS)),
      latent: c.int(1, MAX_DIM),
      channels: c.array(c.int(1, MAX_DIM), { min: 1, max: 64 }),
      kernel: c.int(0, MAX_DIM),
      imageShape: c.array(c.int(1, MAX_DIM), { min: 3, max: 3 }),
    }, { classes: c.int(2, MAX_CLASSES), resBlocks: c.int(1, MAX_RES_BLOCKS), prior: c.obj({ kind: c.oneOf(['vamp']), components: c.int(1, MAX_VAMP_COMPONENTS) }) }),
    encoder: c.obj({ trunk: c.array(layer, { max: 256 }), mu: layer, logvar: layer, logvarClamp: c.array(c.finite(), { min: 2, max: 2 }) }),
    decoder: c.array(layer, { max: 256 }),
  }, { condition: c.obj({ kind: c.oneOf(['one-hot']), classes: c.int(2, MAX_CLASSES) }) });
  return (v, field) => {
    shape(v, field);
    const spec = v as ArchSpec;
    let built: ArchSpec;
    try {
      built = buildArchSpec(spec.config);
    } catch (e) {
      c.fail(`${field}.config`, 'a buildable architecture', `${show(spec.config)} (${(e as Error).message})`);
    }
    // The layers are derived from the config; anything else is a different (or damaged) model.
    const d = firstDifference(built, spec, field);
    if (d) c.fail(d.path, `${show(d.expected)}, which ${field}.config builds`, d.got);
  };
}

function metricsCheck(c: HeaderChecker): Check {
  const loss = c.finite();
  // Train-side numbers are averages of a finished epoch; JSON has no NaN, so a non-finite one was written as null.
  const trainSide = c.nullable(c.finite());
  return c.obj(
    {
      epoch: c.int(1),
      trainLoss: trainSide,
      trainRecon: trainSide,
      trainKL: trainSide,
      testLoss: loss,
      testRecon: loss,
      testKL: loss,
      imagesPerSec: c.nullable(c.num(0)),
      seconds: c.nullable(c.num(0)),
      backend: c.str(),
    },
    { klWeight: c.num(0), testIwNll: c.finite(), iwSamples: c.int(1) },
  );
}

/**
 * Checks a parsed header against the schema and against the data section it
 * indexes (`dataFloats` float32 values). Returns it typed.
 *
 * @throws {@link CheckpointError} (`bad-header`, `version`, `mismatch`) naming the field
 */
export function validateCheckpointHeader(h: unknown, formatVersion: number, dataFloats: number, file?: string): CheckpointHeader {
  const c: HeaderChecker = new HeaderChecker(file);
  const metrics = metricsCheck(c);
  c.obj(
    {
      format: c.oneOf(['vae-checkpoint']),
      formatVersion: (v, f) => {
        if (v !== formatVersion) c.fail(f, `format version ${formatVersion}`, v, 'version');
      },
      arch: archCheck(c),
      train: c.obj({
        epochs: c.int(1),
        batch: c.int(1),
        lr: c.num(0, { exclusive: true }),
        beta: c.num(0),
        klWarmup: c.num(0),
        seed: c.int(0, 2 ** 32 - 1),
        dataset: c.str(),
        recon: c.oneOf(['bernoulli', 'mse']),
        trainLimit: c.nullable(c.int(1)),
        testLimit: c.nullable(c.int(1)),
        iwSamples: c.int(0),
      }, {
        // Absent when off, so older checkpoints and plain runs read as before.
        binarize: c.oneOf(['dynamic', 'static']),
        freeBits: c.num(0, { exclusive: true }),
        lrSchedule: c.oneOf(['constant', 'cosine']),
        lrWarmup: c.num(0),
        lrMin: c.num(0),
        iwTrain: c.int(2, 100_000),
      }),
      data: c.obj(
        { files: c.array(c.obj({ path: c.str(), bytes: c.int(0), sha256: c.str(SHA256, 'a sha256 in hex') }), { max: 64 }) },
        // Only for an image folder, whose train/test split the trainer draws itself; older checkpoints have none.
        { split: c.obj({ seed: c.int(0, 2 ** 32 - 1), testFraction: c.num(0, { exclusive: true, max: 1 }) }) },
      ),
      epoch: c.int(0),
      step: c.int(0),
      optimizer: c.obj({ name: c.oneOf(['adam']), lr: c.num(0, { exclusive: true }), beta1: c.num(0, { max: 1 }), beta2: c.num(0, { max: 1 }), epsilon: c.num(0, { exclusive: true }) }),
      metrics: c.nullable(metrics),
      history: c.array(metrics),
      backend: c.str(),
      createdAt: c.str(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'an ISO 8601 UTC time'),
      tensors: c.array(c.obj({ name: c.str(), group: c.oneOf(['params', 'optimizer']), shape: c.array(c.int(0, MAX_DIM), { max: 8 }), offset: c.int(0) })),
    },
    {
      command: c.str(),
      // Only in a mid-epoch checkpoint (written on SIGINT/SIGTERM); the trainer checks it against the run.
      position: c.obj({
        epoch: c.int(0),
        batchesDone: c.int(0),
        imagesSeen: c.int(0),
        sumRecon: c.finite(),
        sumKl: c.finite(),
        trainSeconds: c.num(0),
        noiseRng: (v, f) => {
          const ok = Array.isArray(v) && v.length === 5 && v.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && (v[4] === null || Number.isFinite(v[4]));
          if (!ok) c.fail(f, 'the noise generator state [uint32, uint32, uint32, uint32, number | null]', v);
        },
      }),
    },
  )(h, '');
  const header = h as CheckpointHeader;

  // Relations between fields.
  if (header.optimizer.lr !== header.train.lr) c.fail('optimizer.lr', `train.lr (${header.train.lr})`, header.optimizer.lr);
  if (header.history.length !== header.epoch) c.fail('history.length', `one entry per completed epoch (${header.epoch})`, header.history.length);
  header.history.forEach((m, i) => {
    if (m.epoch !== i + 1) c.fail(`history[${i}].epoch`, `${i + 1}`, m.epoch);
  });
  if (header.position && header.position.epoch !== header.epoch) c.fail('position.epoch', `the epoch in progress (${header.epoch})`, header.position.epoch);
  const last = header.history.at(-1) ?? null;
  const d = firstDifference(last, header.metrics, 'metrics');
  if (d) c.fail(d.path, `${show(d.expected)} (the last history entry)`, d.got);

  // The index must tile the data section exactly, in order: no gap, no overlap, nothing outside.
  let total = 0;
  const names = new Set<string>();
  header.tensors.forEach((t, i) => {
    if (names.has(t.name)) c.fail(`tensors[${i}].name`, 'a name not used by an earlier tensor', t.name);
    names.add(t.name);
    if (t.offset !== total) c.fail(`tensors[${i}].offset`, `${total} (right after the previous tensor)`, t.offset);
    total += t.shape.reduce((a, b) => a * b, 1);
    if (total > dataFloats) c.fail(`tensors[${i}].shape`, `a tensor that fits in the ${dataFloats} floats of the data section`, t.shape, 'mismatch');
  });
  if (total !== dataFloats) c.fail('tensors', `tensors covering all ${dataFloats} floats of the data section`, `${total} floats`, 'mismatch');

  // Parameters: exactly the architecture's; optimizer slots: none, or an Adam m and v for every trained
  // parameter (BatchNorm's running statistics are state, which Adam never sees).
  const expected = weightShapes(header.arch);
  const params = header.tensors.filter((t) => t.group === 'params');
  const slots = header.tensors.filter((t) => t.group === 'optimizer');
  for (const [name, shape] of expected) {
    const entry = params.find((t) => t.name === name);
    if (!entry) throw new CheckpointError('mismatch', `missing parameter ${name} [${shape}] required by arch "${header.arch.config.arch}"`, file);
    if (entry.shape.join(',') !== shape.join(',')) {
      throw new CheckpointError('mismatch', `parameter ${name} has shape [${entry.shape}], arch "${header.arch.config.arch}" expects [${shape}]`, file);
    }
  }
  for (const t of params) if (!expected.has(t.name)) c.fail(`tensors[${header.tensors.indexOf(t)}].name`, `a parameter of arch "${header.arch.config.arch}"`, t.name, 'mismatch');
  if (slots.length) {
    const trained = [...expected].filter(([n]) => !BATCH_NORM_STATE.some((suffix) => n.endsWith(suffix)));
    const slotShapes = new Map(trained.flatMap(([n, s]) => [[`${n}/m`, s], [`${n}/v`, s]] as [string, number[]][]));
    for (const t of slots) {
      const s = slotShapes.get(t.name);
      if (!s) c.fail(`tensors[${header.tensors.indexOf(t)}].name`, 'an Adam slot "<parameter>/m" or "<parameter>/v"', t.name, 'mismatch');
      if (s.join(',') !== t.shape.join(',')) c.fail(`tensors[${header.tensors.indexOf(t)}].shape`, `[${s}] (the shape of its parameter)`, t.shape, 'mismatch');
    }
    if (slots.length !== slotShapes.size) c.fail('tensors', `an m and a v slot for each of the ${trained.length} trained parameters (${slotShapes.size})`, `${slots.length} optimizer tensors`, 'mismatch');
  }
  return header;
}
