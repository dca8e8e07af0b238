#!/usr/bin/python3
"""make_layer_fixtures: writes tests/fixtures/layers.bin, the independent
reference for the graph engine's pooling and resize kernels
(tests/nn/layers/test_pool2d.c and test_resize.c read it through
tests/fixture.h; the format is written by make_fixtures.write_fixture).

Keras is the meaning; torch computes it, in float64, stored as float32:
  pool/NAME/window   [kh, kw, sh, sw, same] (same: 1 for 'same', 0 for 'valid')
  pool/NAME/in       (B, C, H, W)
  pool/NAME/out      the pooled output
  pool/NAME/dout     an upstream gradient, (B, C, out_h, out_w)
  pool/NAME/din      d sum(out * dout) / d in, by autograd
  resize/NAME/in     (B, 1, H, W)
  resize/NAME/out    (B, 1, out_h, out_w): the C engine copies it to C channels

TF's 'same' pads total = max((out - 1) s + k - H, 0) with the odd cell at
the bottom (right), which torch's symmetric `padding` cannot say, so the
input is padded by hand with F.pad. Average pooling then divides by the
real cells of each window only (TF's rule): the window sums of the padded
input over the window sums of a padded mask of ones. Max pooling pads with
-inf, so padding never wins. Max inputs are distinct values, so the
reference gradient does not depend on how a tie is broken.

tf.image.resize(method='bilinear', antialias=False) is torch's
F.interpolate(mode='bilinear', align_corners=False); the script checks that
claim against TF's algorithm written out (compute_interpolation_weights
with the half-pixel scaler) before writing anything.

Run with Debian's torch: /usr/bin/python3 tests/make_layer_fixtures.py
Running it twice gives identical bytes.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

# No __pycache__ left in tests/ by importing the writer.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_fixture  # noqa: E402  (one SWFX writer)

SEED = 2027
DTYPE = torch.float64
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "layers.bin")

# name, kind, input shape (B, C, H, W), (kh, kw), (sh, sw), padding
POOL_CASES = [
    # symmetric padding (1 each side): also checked against count_include_pad=False
    ("avg_same_k3s1", "avg", (2, 3, 7, 6), (3, 3), (1, 1), "same"),
    # H: 8 -> 4, one padded row at the bottom only; W: 7 -> 4, one each side
    ("avg_same_k3s2", "avg", (2, 3, 8, 7), (3, 3), (2, 2), "same"),
    # one padded row and column, after the input
    ("avg_same_k2s1", "avg", (1, 2, 5, 6), (2, 2), (1, 1), "same"),
    # H: 7 -> 3 padded 1 + 1; W: 8 -> 3 padded 0 + 1; a non-square window
    ("avg_same_k3x2s3", "avg", (2, 2, 7, 8), (3, 2), (3, 3), "same"),
    ("avg_valid_k3s2", "avg", (2, 2, 9, 8), (3, 3), (2, 2), "valid"),
    ("max_valid_k3s2", "max", (2, 3, 9, 8), (3, 3), (2, 2), "valid"),
    ("max_same_k3s2", "max", (2, 3, 8, 7), (3, 3), (2, 2), "same"),
    ("max_same_k2s1", "max", (1, 2, 5, 6), (2, 2), (1, 1), "same"),
]

# name, input (B, H, W), output (out_h, out_w)
RESIZE_CASES = [
    ("28_to_32", (2, 28, 28), (32, 32)),
    ("28_to_75", (2, 28, 28), (75, 75)),
    ("28_to_20", (2, 28, 28), (20, 20)),
    ("28x21_to_20x40", (2, 28, 21), (20, 40)),
]


def uniform(shape, low, high):
    # Drawn in float32, the precision stored, so the float64 reference
    # starts from exactly the values the C test loads.
    return torch.empty(shape, dtype=torch.float32).uniform_(low, high).to(DTYPE)


def distinct(shape):
    # A random permutation of values 1/64 apart: exact in float32, no ties.
    n = math.prod(shape)
    return (torch.randperm(n).to(DTYPE) / 64.0 - n / 128.0).reshape(shape)


def tf_pads(size, k, s, padding):
    """(out, before, after) on one axis, TensorFlow's rule."""
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def pool(kind, x, k, s, padding):
    (B, C, H, W) = x.shape
    oh, top, bottom = tf_pads(H, k[0], s[0], padding)
    ow, left, right = tf_pads(W, k[1], s[1], padding)
    pads = (left, right, top, bottom)
    if kind == "max":
        y = F.max_pool2d(F.pad(x, pads, value=-math.inf), k, s)
    else:
        ones = torch.ones_like(x)
        y = F.avg_pool2d(F.pad(x, pads), k, s) / F.avg_pool2d(F.pad(ones, pads), k, s)
    assert y.shape == (B, C, oh, ow), (y.shape, oh, ow)
    return y


def pool_case(name, kind, shape, k, s, padding):
    x = (distinct(shape) if kind == "max" else uniform(shape, -1.0, 1.0)).requires_grad_(True)
    y = pool(kind, x, k, s, padding)
    g = uniform(y.shape, -1.0, 1.0)
    (din,) = torch.autograd.grad((y * g).sum(), x)
    if name == "avg_same_k3s1":
        # Symmetric padding: torch's own count_include_pad=False must agree.
        y_torch = F.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)
        assert torch.allclose(y, y_torch, rtol=1e-12, atol=1e-12)
    window = torch.tensor([k[0], k[1], s[0], s[1], padding == "same"], dtype=DTYPE)
    p = f"pool/{name}/"
    return [(p + "window", window), (p + "in", x.detach()), (p + "out", y.detach()),
            (p + "dout", g), (p + "din", din)]


def tf_bilinear(x, out_h, out_w):
    """TF's resize_bilinear, half_pixel_centers=True, written out:
    in = (d + 0.5) * scale - 0.5, lower = max(floor(in), 0),
    upper = min(ceil(in), size - 1), lerp = in - floor(in)."""
    def weights(out_size, in_size):
        scale = in_size / out_size
        src = (torch.arange(out_size, dtype=DTYPE) + 0.5) * scale - 0.5
        lower = torch.clamp(torch.floor(src), min=0).long()
        upper = torch.clamp(torch.ceil(src), max=in_size - 1).long()
        return lower, upper, src - torch.floor(src)
    (_, _, H, W) = x.shape
    ylo, yhi, yl = weights(out_h, H)
    xlo, xhi, xl = weights(out_w, W)
    top_left, top_right = x[:, :, ylo][:, :, :, xlo], x[:, :, ylo][:, :, :, xhi]
    bottom_left, bottom_right = x[:, :, yhi][:, :, :, xlo], x[:, :, yhi][:, :, :, xhi]
    top = top_left + (top_right - top_left) * xl
    bottom = bottom_left + (bottom_right - bottom_left) * xl
    return top + (bottom - top) * yl[:, None]


def resize_case(name, shape, size):
    x = uniform((shape[0], 1, shape[1], shape[2]), 0.0, 1.0)
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=False)
    assert torch.allclose(y, tf_bilinear(x, *size), rtol=1e-12, atol=1e-12), name
    p = f"resize/{name}/"
    return [(p + "in", x), (p + "out", y)]


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    tensors = []
    for case in POOL_CASES:
        tensors += pool_case(*case)
    for case in RESIZE_CASES:
        tensors += resize_case(*case)
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    write_fixture(OUT_PATH, tensors)
    print(f"{OUT_PATH}: {len(tensors)} tensors, {os.path.getsize(OUT_PATH)} bytes")


if __name__ == "__main__":
    main()
