#!/usr/bin/python3
"""make_conv_fixtures: writes tests/fixtures/conv_general.bin, the
independent reference for conv2d's general shapes (kernel sizes other than
3x3, strides, 'same' and 'valid' padding); tests/nn/layers/test_conv2d.c
reads it through tests/fixture.h and runs every algorithm that supports
each shape against it. The format is written by make_fixtures.write_fixture.

Keras's Conv2D is the meaning; torch computes it, in float64, stored as
float32. Per case NAME:
  conv/NAME/geometry  [kh, kw, sh, sw, same, relu] (same: 1 'same', 0 'valid')
  conv/NAME/in        (B, c_in, H, W)
  conv/NAME/weight    (c_out, c_in, kh, kw), OIHW as the C engine keeps it
  conv/NAME/bias      (c_out)
  conv/NAME/out       ReLU?(conv(in, weight) + bias), (B, c_out, out_h, out_w)
  conv/NAME/dout      an upstream gradient, the shape of out
  conv/NAME/din, dweight, dbias   d sum(out * dout) / d each, by autograd

TF's 'same' pads total = max((out - 1) s + k - H, 0) with the floor of half
before the image and the odd row (column) after it, which torch's symmetric
`padding` cannot say, so the input is padded by hand with F.pad before a
padding-free F.conv2d. The script checks that rule against torch's own
padding='same' where torch has one (stride 1) before writing anything.

Run with Debian's torch: /usr/bin/python3 tests/make_conv_fixtures.py
Running it twice gives identical bytes.
"""

import math
import os
import sys
import warnings

import torch
import torch.nn.functional as F

# No __pycache__ left in tests/ by importing the writer.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_fixture  # noqa: E402  (one SWFX writer)

SEED = 2028
DTYPE = torch.float64
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                        "conv_general.bin")

# name, input shape (B, c_in, H, W), c_out, (kh, kw), (sh, sw), padding, relu
CASES = [
    # H: 9 -> 5 padded 2 + 2; W: 8 -> 4 padded 1 + 2 (the odd column on the right)
    ("same_k5s2", (2, 3, 9, 8), 4, (5, 5), (2, 2), "same", 0),
    # an even kernel at stride 1: H padded 0 + 1, W padded 1 + 2; with ReLU
    ("same_k2x4s1", (2, 3, 6, 7), 2, (2, 4), (1, 1), "same", 1),
    # 13 x 11 -> 6 x 5, the last row and column of the input unread
    ("valid_k3s2", (2, 3, 13, 11), 5, (3, 3), (2, 2), "valid", 0),
]


def same_padding(size, k, stride):
    """TensorFlow's 'same' along one axis: (out, before, after)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def convolve(x, weight, bias, kernel, stride, padding, relu):
    """Keras Conv2D (channels first) with its activation."""
    if padding == "same":
        _, top, bottom = same_padding(x.shape[2], kernel[0], stride[0])
        _, left, right = same_padding(x.shape[3], kernel[1], stride[1])
        x = F.pad(x, (left, right, top, bottom))
    y = F.conv2d(x, weight, bias, stride=stride)
    return torch.relu(y) if relu else y


def check_same_rule_against_torch():
    """At stride 1 torch's padding='same' also puts the odd cell after the
    input: the hand padding must agree with it, output and all."""
    # torch says an even kernel makes it pad a copy of the input: it does so here too
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    g = torch.Generator().manual_seed(SEED + 1)
    for kernel in [(2, 4), (3, 3), (1, 7), (4, 1)]:
        x = torch.rand((1, 2, 6, 7), generator=g, dtype=DTYPE)
        w = torch.rand((3, 2) + kernel, generator=g, dtype=DTYPE)
        ours = convolve(x, w, None, kernel, (1, 1), "same", 0)
        theirs = F.conv2d(x, w, None, padding="same")
        assert ours.shape == theirs.shape and torch.allclose(ours, theirs), kernel


def case_tensors(name, shape, c_out, kernel, stride, padding, relu, g):
    B, c_in, H, W = shape
    x = (torch.rand(shape, generator=g, dtype=DTYPE) * 2 - 1).requires_grad_()
    w = (torch.rand((c_out, c_in) + kernel, generator=g, dtype=DTYPE) - 0.5).requires_grad_()
    b = (torch.rand((c_out,), generator=g, dtype=DTYPE) * 2 - 1).requires_grad_()
    # the stored float32 values are the inputs: the reference starts from them
    for t in (x, w, b):
        t.data = t.data.float().double()
    out = convolve(x, w, b, kernel, stride, padding, relu)
    if padding == "same":
        want = (math.ceil(H / stride[0]), math.ceil(W / stride[1]))
    else:
        want = ((H - kernel[0]) // stride[0] + 1, (W - kernel[1]) // stride[1] + 1)
    assert tuple(out.shape[2:]) == want, (name, out.shape, want)
    dout = (torch.rand(out.shape, generator=g, dtype=DTYPE) * 2 - 1).float().double()
    din, dweight, dbias = torch.autograd.grad((out * dout).sum(), (x, w, b))
    geometry = torch.tensor([kernel[0], kernel[1], stride[0], stride[1],
                             1 if padding == "same" else 0, relu], dtype=DTYPE)
    prefix = "conv/" + name + "/"
    return [(prefix + "geometry", geometry), (prefix + "in", x), (prefix + "weight", w),
            (prefix + "bias", b), (prefix + "out", out), (prefix + "dout", dout),
            (prefix + "din", din), (prefix + "dweight", dweight), (prefix + "dbias", dbias)]


def main():
    torch.use_deterministic_algorithms(True)
    check_same_rule_against_torch()
    g = torch.Generator().manual_seed(SEED)
    tensors = []
    for case in CASES:
        tensors += case_tensors(*case, g)
    tensors = [(n, t.detach().float()) for n, t in tensors]
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    write_fixture(OUT_PATH, tensors)
    print(f"wrote {OUT_PATH}: {len(tensors)} tensors, {len(CASES)} cases")


if __name__ == "__main__":
    main()
