#!/usr/bin/python3
"""bench_torch: the same measurement as bench_train, in PyTorch (Debian's
python3-torch, oneDNN on the CPU): images per second of a training step
(forward, backward, Adam) and of eval-mode inference, on the same first
Fashion-MNIST images, for the architecture bench_train printed.

    bench_torch.py --blocks 128,256,512 --dense 384,768 --bn 1 \
        --dropout 0.2 --l2 0.01 --batch 32 --steps 20 --threads 2

blocks as sweep writes them: ',' between pooled blocks, '/' between the
3x3 convs of one block. Prints one line of key=value fields, as
bench_train does (train_img_s, eval_img_s, rss_mb).
"""
import argparse
import gzip
import resource
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, count, offset):
    with gzip.open(f"{DATA}/{name}", "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=offset)


def load(images, labels, count):
    x = idx(images, count, 16)[: count * 784].reshape(count, 1, 28, 28)
    y = idx(labels, count, 8)[:count]
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def build(blocks, dense, bn, dropout):
    """The report's Keras model: per block [conv 3x3 same -> ReLU] x k ->
    maxpool 2 -> [BN] -> [dropout]; per hidden dense: Linear -> ReLU ->
    [BN] -> [dropout]; then Linear(10). Keras's BN: momentum 0.99, eps 1e-3."""
    layers, c, side = [], 1, 28
    for block in blocks.split(","):
        for f in block.split("/"):
            layers += [nn.Conv2d(c, int(f), 3, padding=1), nn.ReLU()]
            c = int(f)
        layers.append(nn.MaxPool2d(2))
        side //= 2
        if bn:
            layers.append(nn.BatchNorm2d(c, eps=1e-3, momentum=0.01))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Flatten())
    features, kernels = c * side * side, []
    for units in [int(u) for u in dense.split(",") if u and dense != "none"]:
        linear = nn.Linear(features, units)
        kernels.append(linear.weight)
        layers += [linear, nn.ReLU()]
        if bn:
            layers.append(nn.BatchNorm1d(units, eps=1e-3, momentum=0.01))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        features = units
    layers.append(nn.Linear(features, 10))
    return nn.Sequential(*layers), kernels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blocks", required=True)
    p.add_argument("--dense", required=True)
    p.add_argument("--bn", type=int, default=0)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--l2", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-images", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(43)
    count = a.batch * (a.steps + 2)
    x, y = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", count)
    tx, ty = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", a.eval_images or count)
    model, kernels = build(a.blocks, a.dense, a.bn, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(s):
        xb, yb = x[s * a.batch:(s + 1) * a.batch], y[s * a.batch:(s + 1) * a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        if a.l2:
            loss = loss + a.l2 * sum((k * k).sum() for k in kernels)
        loss.backward()
        opt.step()

    model.train()
    for s in range(2):
        step(s)
    start = time.perf_counter()
    for s in range(2, a.steps + 2):
        step(s)
    train_s = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        model(tx[: a.batch])
        start = time.perf_counter()
        for s in range(0, len(tx), a.batch):
            model(tx[s:s + a.batch])
        eval_s = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"model=torch batch={a.batch} threads={a.threads} "
          f"train_img_s={a.batch * a.steps / train_s:.2f} eval_img_s={len(tx) / eval_s:.2f} "
          f"rss_mb={rss_mb:.1f}")


if __name__ == "__main__":
    main()
