"""PyTorch eager baseline for `pnpm bench:sdk`: runs the same decoder.onnx
weights as the SDK, rebuilt op by op in torch (no onnx2torch needed), and
prints JSON: images/s per batch and the max abs diff against ONNX Runtime.

usage: /usr/bin/python3 torch_decode.py DECODER.onnx Z.bin REF.bin LATENT THREADS
"""
import json, sys, time
import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F

path, zpath, refpath, latent, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
model = onnx.load(path)
W = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
W = {k: (v.float() if v.dtype == torch.float16 else v) for k, v in W.items()}
attrs = lambda n: {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

def pad2(p):
    # ONNX pads are [top, left, bottom, right]; torch wants symmetric (h, w).
    assert p[0] == p[2] and p[1] == p[3], f'asymmetric pads {p}'
    return (p[0], p[1])

def run(z):
    env = dict(W)
    env[model.graph.input[0].name] = z
    for n in model.graph.node:
        a = attrs(n)
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == 'Gemm':
            A = x[0].t() if a.get('transA', 0) else x[0]
            B = x[1].t() if a.get('transB', 0) else x[1]
            y = a.get('alpha', 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get('beta', 1.0) * x[2]
        elif op == 'MatMul': y = x[0] @ x[1]
        elif op == 'Add': y = x[0] + x[1]
        elif op == 'Mul': y = x[0] * x[1]
        elif op == 'Relu': y = torch.relu(x[0])
        elif op == 'Sigmoid': y = torch.sigmoid(x[0])
        elif op == 'Reshape': y = x[0].reshape([int(v) for v in x[1].tolist()])
        elif op == 'Flatten': y = x[0].flatten(a.get('axis', 1))
        elif op == 'Transpose': y = x[0].permute(list(a['perm']))
        elif op == 'Cast': y = x[0].float()
        elif op == 'Identity': y = x[0]
        elif op == 'Clip': y = torch.clamp(x[0], x[1].item(), x[2].item())
        elif op == 'Conv':
            y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=tuple(a.get('strides', [1, 1])), padding=pad2(a.get('pads', [0, 0, 0, 0])), dilation=tuple(a.get('dilations', [1, 1])), groups=a.get('group', 1))
        elif op == 'ConvTranspose':
            y = F.conv_transpose2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=tuple(a.get('strides', [1, 1])), padding=pad2(a.get('pads', [0, 0, 0, 0])), output_padding=tuple(a.get('output_padding', [0, 0])), dilation=tuple(a.get('dilations', [1, 1])), groups=a.get('group', 1))
        else:
            raise SystemExit(f'unsupported op {op}')
        for o in n.output:
            env[o] = y
    return env

outs = [o.name for o in model.graph.output]
z = torch.from_numpy(np.fromfile(zpath, dtype=np.float32).reshape(-1, latent))
ref = np.fromfile(refpath, dtype=np.float32)
result = {'torch': torch.__version__, 'threads': threads}
with torch.no_grad():
    x = run(z)['x'].numpy().ravel()
    result['maxAbsDiffVsOrt'] = float(np.abs(x - ref).max())
    for batch in (1, 64, 1024):
        zb = torch.randn(batch, latent)
        for _ in range(5):
            run(zb)
        iters, t0, n = 0, time.perf_counter(), 0
        budget = 1.0
        while time.perf_counter() - t0 < budget:
            run(zb)
            iters += 1
        dt = time.perf_counter() - t0
        result[f'b{batch}'] = {'imagesPerSec': batch * iters / dt, 'msPerCall': 1000 * dt / iters}
print(json.dumps(result))
