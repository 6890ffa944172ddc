"""PyTorch peer of `pnpm bench:sdk`: the decoder of the model's architecture as
a plain nn.Module (torch_peer.py's ConvVAE, built from model.json's archConfig
exactly as the PyTorch training peer builds it), loaded with the weights in
decoder.onnx, run under torch.inference_mode().

The ONNX graph is only read for its initializers, each mapped to one
parameter of the module (and checked against it: shape, the Gemm's transB, the
ConvTranspose attributes, the reshape target); an initializer left unmapped is
an error, so the module computes what the exported graph computes. The bench
then checks max |torch - SDK| on the same z.

usage: /usr/bin/python3 torch_decode.py MODEL.json DECODER.onnx THREADS
then stdin lines, each answered with one JSON line:
  z B PATH        use the B x latent float32 z in PATH for batch B
  check B PATH    max |torch - ref| against the float32 decoder output in PATH
  warmup B N      N untimed decodes of batch B
  round B N       N timed decodes of batch B: {"seconds": ...}
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'trainer', 'bench'))
import torch_peer  # noqa: E402  (sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS defaults before torch loads)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


class Decoder(nn.Module):
    """z -> sigmoid(logits): the decoder half of torch_peer.ConvVAE."""

    def __init__(self, vae):
        super().__init__()
        self.fc, self.decoder, self.feat = vae.fc, vae.decoder, vae.feat

    def forward(self, z):
        return torch.sigmoid(self.decoder(torch.relu(self.fc(z)).view(-1, *self.feat)))


def build_decoder(manifest, graph):
    cfg = dict(manifest['archConfig'])
    cfg['imageShape'] = tuple(cfg['imageShape'])
    if cfg['arch'] == 'mlp':
        raise SystemExit('torch_decode.py maps conv decoders (small, base); this model is mlp')
    if [i.name for i in graph.input] != ['z']:
        raise SystemExit(f'expected a decoder with the single input z, found {[i.name for i in graph.input]} '
                         '(conditional decoders are not benchmarked)')
    vae = torch_peer.build_model(cfg)
    dec = Decoder(vae).eval()
    W = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    attrs = lambda n: {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}  # noqa: E731
    used = set()

    def take(name, shape, transpose=False):
        if name not in W:
            raise SystemExit(f'decoder.onnx has no initializer {name} (expected one of {sorted(W)})')
        a = np.array(W[name], dtype=np.float32, copy=True)
        a = a.T if transpose else a
        if tuple(a.shape) != tuple(shape):
            raise SystemExit(f'{name}: shape {list(a.shape)} does not fit the module parameter {list(shape)}')
        used.add(name)
        return torch.from_numpy(np.ascontiguousarray(a))

    gemm = next((n for n in graph.node if n.op_type == 'Gemm'), None)
    if gemm is None or list(gemm.input[1:]) != ['decoder/fc/kernel', 'decoder/fc/bias']:
        raise SystemExit('expected the decoder to start with Gemm(z, decoder/fc/kernel, decoder/fc/bias)')
    ga = attrs(gemm)
    if ga.get('transA', 0) or ga.get('alpha', 1.0) != 1.0 or ga.get('beta', 1.0) != 1.0:
        raise SystemExit(f'unexpected Gemm attributes {ga}')
    # nn.Linear holds [out, in]; the Gemm kernel is [in, out] unless transB.
    with torch.no_grad():
        dec.fc.weight.copy_(take('decoder/fc/kernel', dec.fc.weight.shape, transpose=not ga.get('transB', 0)))
        dec.fc.bias.copy_(take('decoder/fc/bias', dec.fc.bias.shape))
        shape = [int(v) for v in W['decoder/reshape/shape']]
        if shape[1:] != list(dec.feat):
            raise SystemExit(f'decoder.onnx reshapes to {shape}, the module to [-1, {", ".join(map(str, dec.feat))}]')
        used.add('decoder/reshape/shape')
        deconvs = [m for m in dec.decoder if isinstance(m, nn.ConvTranspose2d)]
        convt = [n for n in graph.node if n.op_type == 'ConvTranspose']
        if len(convt) != len(deconvs):
            raise SystemExit(f'decoder.onnx has {len(convt)} ConvTranspose nodes, the module {len(deconvs)}')
        for i, (m, n) in enumerate(zip(deconvs, convt), 1):
            if list(n.input[1:]) != [f'decoder/deconv{i}/kernel', f'decoder/deconv{i}/bias']:
                raise SystemExit(f'ConvTranspose {i} reads {list(n.input[1:])}, expected decoder/deconv{i}/kernel and bias')
            a = attrs(n)
            want = {'strides': list(m.stride), 'pads': [m.padding[0], m.padding[1]] * 2,
                    'output_padding': list(m.output_padding), 'kernel_shape': list(m.kernel_size)}
            got = {k: list(a.get(k, [0, 0])) for k in want}
            if got != want:
                raise SystemExit(f'ConvTranspose {i}: graph attributes {got}, module {want}')
            # ONNX ConvTranspose and torch both hold the kernel as [in, out, kh, kw].
            m.weight.copy_(take(f'decoder/deconv{i}/kernel', m.weight.shape))
            m.bias.copy_(take(f'decoder/deconv{i}/bias', m.bias.shape))
    unmapped = sorted(set(W) - used)
    if unmapped:
        raise SystemExit(f'decoder.onnx initializers not mapped to the nn.Module: {unmapped}')
    return dec, cfg


def main():
    manifest_path, decoder_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    with open(manifest_path) as f:
        manifest = json.load(f)
    dec, cfg = build_decoder(manifest, onnx.load(decoder_path).graph)
    latent = cfg['latent']
    zs = {}
    print(json.dumps({'ready': True, **torch_peer.runtime_report(), 'module': 'torch_peer.ConvVAE decoder (nn.Module)',
                      'params': sum(p.numel() for p in dec.parameters())}), flush=True)
    with torch.inference_mode():
        for line in sys.stdin:
            cmd, *rest = line.split()
            if cmd == 'z':
                b, path = int(rest[0]), rest[1]
                zs[b] = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(b, latent))
                out = {'z': b}
            elif cmd == 'check':
                b, path = int(rest[0]), rest[1]
                ref = np.fromfile(path, dtype=np.float32)
                x = dec(zs[b]).numpy().ravel()
                if x.size != ref.size:
                    raise SystemExit(f'the module decodes {x.size} values, the SDK {ref.size}')
                out = {'maxAbsDiff': float(np.abs(x - ref).max())}
            elif cmd in ('warmup', 'round'):
                b, n = int(rest[0]), int(rest[1])
                z = zs[b]
                t0 = time.perf_counter()
                for _ in range(n):
                    dec(z)
                out = {'seconds': time.perf_counter() - t0, 'calls': n, 'batch': b}
            else:
                raise SystemExit(f'unknown command {line.strip()!r}')
            print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
