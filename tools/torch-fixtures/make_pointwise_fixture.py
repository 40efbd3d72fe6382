#!/usr/bin/python3
"""Writes tests/Ar1Star.Tests/Fixtures/torch/pointwise.json: what PyTorch's conv2d gives for the
1x1 convolutions on small maps that oneDNN 3.7 computed wrongly on an AMD EPYC (Zen 5) in our
LibTorch, found by tools/reference-trace (docs/fidelity.md): 1024->1024 and 512->512 on
8 x 4x4 maps, wrong in their last 16 or 32 output channels, with no error.

Run by hand, never by CI:  /usr/bin/python3 tools/torch-fixtures/make_pointwise_fixture.py

Inputs and weights are made from their index (the same formulas as the test, which rebuilds
them), so nothing but the expected values is stored: relu(conv2d(x, w)) of the last 32 output
channels at every position (where the fault was), and the sum and sum of squares of the whole
output. Computed in float64 from float32 inputs, so the expected values carry no rounding of
either route.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Ar1Star.Tests", "Fixtures", "torch", "pointwise.json")


def inputs(n, c, h, w, o):
    # float32 first, as the C# test builds them, then float64 for the sums.
    x = np.abs(np.sin(np.arange(n * c * h * w, dtype=np.float32) * np.float32(0.3183099))).astype(np.float32).reshape(n, c, h, w)
    wt = (np.cos(np.arange(o * c, dtype=np.float32) * np.float32(0.6180340)) * np.float32(1 / np.sqrt(c))).astype(np.float32).reshape(o, c, 1, 1)
    return torch.from_numpy(x), torch.from_numpy(wt)


cases = []
for (n, c, h, w, o) in [(8, 1024, 4, 4, 1024), (8, 512, 4, 4, 512)]:
    x, wt = inputs(n, c, h, w, o)
    y = F.relu(F.conv2d(x.double(), wt.double()))
    tail = y[:, o - 32:, :, :]
    cases.append({"shape": [n, c, h, w], "out_channels": o,
                  "tail": [float(v) for v in tail.contiguous().view(-1)],
                  "sum": float(y.sum()), "sumsq": float((y * y).sum())})
with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print("wrote", OUT)
