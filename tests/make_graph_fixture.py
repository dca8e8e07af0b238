#!/usr/bin/python3
"""make_graph_fixture: writes tests/fixtures/graph_net.bin, the independent
reference for sweep's graph engine: a network given as network text
(tests/fixtures/graph_net.net, which tests/nn/test_graph_reference.c builds
the engine from too), computed by PyTorch in float64 with Keras's meaning
and stored as float32 (writer: make_fixtures.write_fixture).

The network text is parsed here by a parser of its own, so the fixture and
the C test read the same file but not the same code. Each layer kind is
written out with plain torch functions where it is used: no torch.nn
modules, no torch.optim.

Two cases, the file as it is and the file behind an input section:
  grey28   the batch as it comes, 1 x 28 x 28
  rgb32    "[input] channels = 3, size = 32" first: each image resized
           bilinearly to 32 x 32 and its grey channel copied to 3

What the file holds (parameter names as in the engine, LAYER.weight,
LAYER.bias, LAYER.gamma, LAYER.beta, LAYER.moving_mean, LAYER.moving_var;
conv kernels OIHW, dense kernels (out, in)):
  l2, bn_momentum, bn_epsilon     the trial's l2 and Keras's batch norm
  input (4, 1, 28, 28), labels (4, as floats)
  CASE/init/NAME       every parameter and moving statistic to start from
  CASE/logits          training-mode forward of input from CASE/init/
  CASE/loss            mean cross-entropy + sum over dense layers of l2 * sum(W^2)
  CASE/ce_loss         the cross-entropy alone
  CASE/grad/NAME       d loss / d parameter (L2 included)
  CASE/moving/NAME     each moving statistic after that forward's update
  CASE/eval_logits     inference forward of input: CASE/init/ parameters
                       with the CASE/moving/ statistics as stored

The initial values are this script's own (drawn in float32, the precision
stored, so the float64 reference starts where the C engine does), not the
engine's initialiser: kernels uniform with variance 1/fan_in, biases and
batch-norm parameters away from Keras's 0 and 1 so their gradients show,
and moving statistics away from 0 and 1 so the momentum term shows. The
moving variances start small, near the batches' own (0.001 to 0.07): the
batch's share of an update is 1% of it, and float32 keeps that share to
1e-5 of itself only if the moving value is not much larger. Then the C
test can tell the unbiased batch variance from the biased one after a
conv (a factor 784/783 in grey28) from the stored moving variance.

Run with Debian's torch: /usr/bin/python3 tests/make_graph_fixture.py
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

SEED = 2029
BATCH = 4
IMAGE = 28          # the engine's input: grey 28 x 28, NCHW
CLASSES = 10

L2 = 0.01           # the trial's l2: the default of every [dense]
DROPOUT = 0.0       # the trial's dropout: none, masks are the engine's own
BN_MOMENTUM = 0.99  # Keras BatchNormalization defaults
BN_EPSILON = 1e-3

DTYPE = torch.float64

HERE = os.path.dirname(os.path.abspath(__file__))
NET_PATH = os.path.join(HERE, "fixtures", "graph_net.net")
OUT_PATH = os.path.join(HERE, "fixtures", "graph_net.bin")

# The C test puts exactly this text in front of the file for rgb32.
RGB32_INPUT = "[input]\nchannels = 3\nsize = 32\n\n"

# ------------------------------------------------------------ network text

# Per kind, its keys (beyond name and from) and their defaults; None means
# required. "trial" defaults come from the trial's settings.
KINDS = {
    "input": {"channels": "1", "size": str(IMAGE)},
    "conv": {"filters": None, "size": "3", "stride": "1", "padding": "same",
             "activation": "linear"},
    "dense": {"units": None, "l2": "trial"},
    "batch_norm": {},
    "relu": {},
    "max_pool": {"size": "2", "stride": "size", "padding": "valid"},
    "avg_pool": {"size": "2", "stride": "size", "padding": "valid"},
    "global_avg_pool": {},
    "add": {},
    "concat": {},
    "zero_pad": {"pad": None},
    "dropout": {"rate": "trial"},
    "flatten": {},
    "softmax": {},
}


class NetworkError(Exception):
    pass


def pair(text, what):
    """ "K" or "KHxKW" as (KH, KW), positive."""
    parts = text.split("x")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
        raise NetworkError(f"{what} = {text}: expected K or KHxKW")
    values = tuple(int(p) for p in parts)
    if min(values) <= 0:
        raise NetworkError(f"{what} = {text}: must be positive")
    return values * 2 if len(values) == 1 else values


def parse_network(text):
    """The layers as dicts {kind, name, inputs, ...}: inputs are indices of
    earlier layers, -1 for the image. Raises NetworkError."""
    sections = []  # (kind, {key: value}, line number)
    # A '#' comment runs to the end of the line, and ';' also ends a line
    # (the engine's one-line canonical form).
    statements = [(number, part.strip()) for number, raw in enumerate(text.splitlines(), 1)
                  for part in raw.split("#", 1)[0].split(";")]
    for number, line in statements:
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]") or line[1:-1].strip() not in KINDS:
                raise NetworkError(f"line {number}: unknown section {line}")
            sections.append((line[1:-1].strip(), {}, number))
            continue
        if not sections or "=" not in line:
            raise NetworkError(f"line {number}: expected [kind] or key = value")
        key, value = (part.strip() for part in line.split("=", 1))
        kind, options, _ = sections[-1]
        if key not in KINDS[kind] and key not in ("name", "from"):
            raise NetworkError(f"line {number}: [{kind}] has no key {key}")
        if key in options:
            raise NetworkError(f"line {number}: {key} given twice")
        options[key] = value

    layers, index_of = [], {}
    for i, (kind, options, number) in enumerate(sections):
        where = f"line {number} [{kind}]"
        if kind == "input" and i != 0:
            raise NetworkError(f"{where}: [input] must come first")
        if kind == "softmax" and i != len(sections) - 1:
            raise NetworkError(f"{where}: [softmax] must come last")
        layer = {"kind": kind, "name": options.get("name", f"{kind}{i}")}
        if layer["name"] in index_of:
            raise NetworkError(f"{where}: a second layer called {layer['name']}")
        inputs = []
        for ref in (r.strip() for r in options.get("from", "-1").split(",")):
            if ref.startswith("-") and ref[1:].isdigit():
                j = i - int(ref[1:])
                if j < -1 or (j == -1 and i != 0) or j == i:
                    raise NetworkError(f"{where}: from = {ref} reaches before the first layer")
            elif ref in index_of:
                j = index_of[ref]
            else:
                raise NetworkError(f"{where}: from = {ref}: no earlier layer of that name")
            inputs.append(j)
        many = kind in ("add", "concat")
        if (len(inputs) < 2) if many else (len(inputs) != 1):
            raise NetworkError(f"{where}: {'two or more inputs' if many else 'one input'} expected")
        if kind == "input" and "from" in options:
            raise NetworkError(f"{where}: [input] reads the image")
        layer["inputs"] = inputs

        values = {}
        for key, default in KINDS[kind].items():
            if key not in options and default is None:
                raise NetworkError(f"{where}: {key} is required")
            values[key] = options.get(key, default)
        if kind == "input":
            layer["channels"], layer["size"] = int(values["channels"]), int(values["size"])
            if layer["channels"] not in (1, 3) or layer["size"] <= 0:
                raise NetworkError(f"{where}: channels must be 1 or 3 and size positive")
        elif kind == "conv":
            layer["filters"] = int(values["filters"])
            layer["kernel"] = pair(values["size"], "size")
            layer["stride"] = pair(values["stride"], "stride")
            layer["padding"] = values["padding"]
            layer["relu"] = {"relu": True, "linear": False}[values["activation"]]
        elif kind == "dense":
            layer["units"] = int(values["units"])
            layer["l2"] = L2 if values["l2"] == "trial" else float(values["l2"])
        elif kind in ("max_pool", "avg_pool"):
            layer["kernel"] = pair(values["size"], "size")
            stride = values["size"] if values["stride"] == "size" else values["stride"]
            layer["stride"] = pair(stride, "stride")
            layer["padding"] = values["padding"]
        elif kind == "zero_pad":
            sides = [int(v) for v in values["pad"].split(",")]
            if len(sides) == 1:
                sides *= 4
            if len(sides) != 4 or min(sides) < 0:
                raise NetworkError(f"{where}: pad = N or top, bottom, left, right")
            layer["pad"] = tuple(sides)  # top, bottom, left, right
        elif kind == "dropout":
            layer["rate"] = DROPOUT if values["rate"] == "trial" else float(values["rate"])
            if layer["rate"] != 0:
                # Its masks are the engine's random numbers: nothing to compare.
                raise NetworkError(f"{where}: this reference runs without dropout")
        elif kind == "softmax":
            # The logits compared are the last layer's out; cross-entropy
            # brings its own softmax.
            raise NetworkError(f"{where}: this reference compares logits, leave [softmax] out")
        if kind in ("conv", "max_pool", "avg_pool") and layer["padding"] not in ("same", "valid"):
            raise NetworkError(f"{where}: padding = same or valid")
        index_of[layer["name"]] = i
        layers.append(layer)
    if not layers:
        raise NetworkError("no layers")
    return layers

# ------------------------------------------------------------------ layers

def tf_pads(size, k, s, padding):
    """(out, before, after) on one axis, TensorFlow's rule: 'same' gives
    ceil(size / s) and pads max((out - 1) s + k - size, 0), the odd cell
    after the image; 'valid' keeps whole windows only."""
    if padding == "valid":
        out = (size - k) // s + 1
        if out <= 0:
            raise NetworkError(f"a {k}-cell 'valid' window does not fit in {size} cells")
        return out, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def tf_pad_input(x, kernel, stride, padding, value=0.0):
    """x padded by hand (torch's symmetric padding cannot put the odd cell
    after the image), and the output size TF gives."""
    oh, top, bottom = tf_pads(x.shape[2], kernel[0], stride[0], padding)
    ow, left, right = tf_pads(x.shape[3], kernel[1], stride[1], padding)
    return F.pad(x, (left, right, top, bottom), value=value), (oh, ow)


def conv(x, weight, bias, layer):
    padded, out = tf_pad_input(x, layer["kernel"], layer["stride"], layer["padding"])
    # Keras and torch both cross-correlate.
    y = F.conv2d(padded, weight, bias, stride=layer["stride"])
    assert tuple(y.shape[2:]) == out, (layer["name"], y.shape, out)
    if layer["padding"] == "same" and layer["stride"] == (1, 1):
        # Where torch has a 'same' of its own, it must agree with the hand padding.
        assert torch.allclose(y, F.conv2d(x, weight, bias, padding="same"), rtol=1e-12, atol=1e-12)
    return y


def relu(z, name, margins):
    # ReLU's derivative at exactly 0 is taken as 0, as torch and TF do.
    if margins is not None:
        margins.append((name + " ReLU", z.abs().min().item()))
    return torch.relu(z)


def pool(x, layer, margins):
    if layer["kind"] == "max_pool":
        # Padding never wins a max. A tie sends the gradient to one of the
        # tied cells; here ties occur only among ReLU zeros, whose gradient
        # the ReLU stops anyway.
        padded, out = tf_pad_input(x, layer["kernel"], layer["stride"], layer["padding"], -math.inf)
        y = F.max_pool2d(padded, layer["kernel"], layer["stride"])
        if margins is not None:
            windows = F.unfold(padded.reshape(-1, 1, *padded.shape[2:]), layer["kernel"],
                               stride=layer["stride"])
            top = windows.topk(2, dim=1).values
            margins.append((layer["name"] + " max", (top[:, 0] - top[:, 1]).min().item()))
    else:
        # TF divides by the image cells in each window only: the window sums
        # of the padded input over those of a padded mask of ones.
        padded, out = tf_pad_input(x, layer["kernel"], layer["stride"], layer["padding"])
        ones, _ = tf_pad_input(torch.ones_like(x), layer["kernel"], layer["stride"], layer["padding"])
        y = (F.avg_pool2d(padded, layer["kernel"], layer["stride"])
             / F.avg_pool2d(ones, layer["kernel"], layer["stride"]))
    assert tuple(y.shape[2:]) == out, (layer["name"], y.shape, out)
    return y


def batch_norm(x, gamma, beta, moving_mean, moving_var, training):
    """Keras BatchNormalization over axis 1 (channels of NCHW, features of
    NC). Training normalises with the batch mean and biased variance and
    returns the moving statistics' update; inference uses the moving ones.
    Keras 2's fused kernel (4-D input, after a conv) feeds the moving
    variance the unbiased batch variance; tf.nn.moments (2-D input, after a
    dense layer) the biased one. make_fixtures.py does the same."""
    reduce_dims = (0, 2, 3) if x.dim() == 4 else (0,)
    shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    if not training:
        mean, var, update = moving_mean, moving_var, None
    else:
        mean = x.mean(dim=reduce_dims)
        var = ((x - mean.reshape(shape)) ** 2).mean(dim=reduce_dims)
        n = x.numel() // x.shape[1]
        unbiased = n / (n - 1) if x.dim() == 4 else 1.0
        # Keras: moving = momentum * moving + (1 - momentum) * batch statistic.
        update = (BN_MOMENTUM * moving_mean + (1.0 - BN_MOMENTUM) * mean.detach(),
                  BN_MOMENTUM * moving_var + (1.0 - BN_MOMENTUM) * var.detach() * unbiased)
    y = (gamma.reshape(shape) * (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + BN_EPSILON)
         + beta.reshape(shape))
    if training:
        check_against_torch_batch_norm(x, y, gamma, beta, moving_mean, moving_var, update)
    return y, update


def check_against_torch_batch_norm(x, y, gamma, beta, moving_mean, moving_var, update):
    """The batch norm above against F.batch_norm, whose momentum is Keras's
    1 - momentum and which always keeps the unbiased variance: on 2-D input
    its variance update is rescaled by (n-1)/n before comparing."""
    with torch.no_grad():
        running_mean, running_var = moving_mean.clone(), moving_var.clone()
        y_torch = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True,
                               momentum=1.0 - BN_MOMENTUM, eps=BN_EPSILON)
        if x.dim() == 2:
            kept = BN_MOMENTUM * moving_var
            running_var = kept + (running_var - kept) * (x.shape[0] - 1) / x.shape[0]
        assert torch.allclose(y, y_torch, rtol=1e-12, atol=1e-12)
        assert torch.allclose(update[0], running_mean, rtol=1e-12, atol=1e-12)
        assert torch.allclose(update[1], running_var, rtol=1e-12, atol=1e-12)

# ---------------------------------------------------------------- network

def kernel_uniform(shape):
    # Not Keras's initialiser (the C test loads these values): uniform with
    # variance 1 / fan_in, so activations keep their scale through the net.
    fan_in = math.prod(shape[1:])
    a = math.sqrt(3.0 / fan_in)
    return uniform(shape, -a, a)


def uniform(shape, low, high):
    # Drawn in float32, the precision the file stores, so the float64
    # reference starts from exactly the values the C engine loads.
    return torch.empty(shape, dtype=torch.float32).uniform_(low, high).to(DTYPE)


def images():
    """The batch, in [0, 1]: pixel noise at a contrast of its own in each
    image. Noise at one contrast looks the same to a global average, so
    each hidden unit would be on for the whole batch or off for all of it
    (and its gradients would be zero or cancelled by the batch norm)."""
    noise = uniform((BATCH, 1, IMAGE, IMAGE), 0.0, 1.0)
    contrast = uniform((BATCH, 1, 1, 1), 0.1, 1.0)
    return (noise * contrast).to(torch.float32).to(DTYPE)


INITIAL = {
    "weight": kernel_uniform,
    "bias": lambda shape: uniform(shape, -0.1, 0.1),
    "gamma": lambda shape: uniform(shape, 0.5, 1.5),
    "beta": lambda shape: uniform(shape, -0.2, 0.2),
    "moving_mean": lambda shape: uniform(shape, -0.2, 0.2),
    "moving_var": lambda shape: uniform(shape, 0.01, 0.1),
}


class Tensors:
    """The parameters and moving statistics by engine name. Built by a
    first forward (draw=True), which draws each tensor, in network order,
    when a layer first asks for it with the shape its input gives."""

    def __init__(self, values=None, draw=False):
        self.values = dict(values or {})
        self.order = list(self.values)
        self.draw = draw

    def get(self, name, shape):
        if name not in self.values:
            assert self.draw, f"no tensor {name}"
            self.values[name] = INITIAL[name.rsplit(".", 1)[1]](shape)
            self.order.append(name)
        assert tuple(self.values[name].shape) == tuple(shape), (name, self.values[name].shape, shape)
        return self.values[name]


def forward(layers, tensors, x, training, margins=None):
    """The last layer's output (B, 10) and, in training, each batch norm's
    updated (moving_mean, moving_var) keyed by the layer's name. margins,
    if a list, gets each ReLU's smallest |input| and each max pool's
    smallest lead of a maximum over the runner-up in its window."""
    outs, updates = [], {}
    for layer in layers:
        ins = [x if j == -1 else outs[j] for j in layer["inputs"]]
        h, kind, name = ins[0], layer["kind"], layer["name"]
        if kind == "input":
            size = layer["size"]
            if (h.shape[2], h.shape[3]) != (size, size):
                # tf.image.resize(method='bilinear', antialias=False): half-pixel
                # centres, which is align_corners=False (make_layer_fixtures.py
                # checks that against TF's algorithm written out).
                h = F.interpolate(h, size=(size, size), mode="bilinear", align_corners=False,
                                  antialias=False)
            h = h.expand(-1, layer["channels"], -1, -1)
        elif kind == "conv":
            shape = (layer["filters"], h.shape[1]) + layer["kernel"]
            h = conv(h, tensors.get(name + ".weight", shape),
                     tensors.get(name + ".bias", (layer["filters"],)), layer)
            if layer["relu"]:
                h = relu(h, name, margins)
        elif kind == "dense":
            # Flattened in (C, H, W) order, sweep's convention (Keras on NHWC
            # would flatten in (H, W, C) order).
            h = h.reshape(h.shape[0], -1)
            h = F.linear(h, tensors.get(name + ".weight", (layer["units"], h.shape[1])),
                         tensors.get(name + ".bias", (layer["units"],)))
        elif kind == "batch_norm":
            c = (h.shape[1],)
            h, update = batch_norm(h, tensors.get(name + ".gamma", c), tensors.get(name + ".beta", c),
                                   tensors.get(name + ".moving_mean", c),
                                   tensors.get(name + ".moving_var", c), training)
            if update is not None:
                updates[name] = update
        elif kind == "relu":
            h = relu(h, name, margins)
        elif kind in ("max_pool", "avg_pool"):
            h = pool(h, layer, margins)
        elif kind == "global_avg_pool":
            h = h.mean(dim=(2, 3))
        elif kind == "add":
            assert all(t.shape == h.shape for t in ins), (name, [t.shape for t in ins])
            h = sum(ins[1:], ins[0])
        elif kind == "concat":
            h = torch.cat(ins, dim=1)
        elif kind == "zero_pad":
            top, bottom, left, right = layer["pad"]
            h = F.pad(h, (left, right, top, bottom))
        elif kind == "flatten":
            h = h.reshape(h.shape[0], -1)
        elif kind == "dropout":
            pass  # rate 0 (parse_network refuses any other)
        outs.append(h)
    logits = outs[-1]
    if logits.dim() != 2 or logits.shape[1] != CLASSES:
        raise NetworkError(f"the last layer gives {tuple(logits.shape[1:])} values per image, not {CLASSES}")
    return logits, updates


def losses(layers, tensors, logits, labels):
    """(cross-entropy, total). Keras reports the total: the mean softmax
    cross-entropy plus l2 * sum(W^2) for each dense kernel with l2 > 0."""
    ce = F.cross_entropy(logits, labels, reduction="mean")
    total = ce
    for layer in layers:
        if layer["kind"] == "dense" and layer["l2"] > 0:
            total = total + layer["l2"] * (tensors.values[layer["name"] + ".weight"] ** 2).sum()
    return ce, total


def moving_names(tensors):
    return [n for n in tensors.order if n.endswith((".moving_mean", ".moving_var"))]


def trainable_names(tensors):
    moving = set(moving_names(tensors))
    return [n for n in tensors.order if n not in moving]


def check_gradients(layers, tensors, x, labels, names):
    """Finite differences (torch.autograd.gradcheck) of the float64 total
    loss with respect to a few parameters, the rest held fixed."""
    def loss_of(*values):
        trial = Tensors(tensors.values)
        trial.values.update(zip(names, values))
        logits, _ = forward(layers, trial, x, training=True)
        return losses(layers, trial, logits, labels)[1]
    inputs = tuple(tensors.values[n].clone().requires_grad_(True) for n in names)
    assert torch.autograd.gradcheck(loss_of, inputs, eps=1e-6, atol=1e-6, rtol=1e-4), names


def run_case(case, text, x, labels, checked):
    """The fixture's tensors for one network text, under CASE/."""
    layers = parse_network(text)
    tensors = Tensors(draw=True)
    with torch.no_grad():
        forward(layers, tensors, x, training=False)
    tensors.draw = False
    trainable = trainable_names(tensors)
    moving = moving_names(tensors)

    leaves = Tensors({n: v.clone().requires_grad_(n in trainable) for n, v in tensors.values.items()})
    margins = []
    logits, updates = forward(layers, leaves, x, training=True, margins=margins)
    ce, loss = losses(layers, leaves, logits, labels)
    grads = dict(zip(trainable, torch.autograd.grad(loss, [leaves.values[n] for n in trainable])))
    check_gradients(layers, tensors, x, labels, checked)

    # Inference starts from the moving statistics as the file stores them.
    after = {}
    for name, (mean, var) in updates.items():
        after[name + ".moving_mean"] = mean.to(torch.float32).to(DTYPE)
        after[name + ".moving_var"] = var.to(torch.float32).to(DTYPE)
    assert sorted(after) == sorted(moving)
    inference = Tensors(tensors.values)
    inference.values.update(after)
    with torch.no_grad():
        eval_logits, _ = forward(layers, inference, x, training=False)

    p = case + "/"
    out = [(p + "init/" + n, tensors.values[n]) for n in tensors.order]
    out += [(p + "logits", logits.detach()), (p + "loss", loss.detach()), (p + "ce_loss", ce.detach())]
    out += [(p + "grad/" + n, grads[n]) for n in trainable]
    out += [(p + "moving/" + n, after[n]) for n in moving]
    out += [(p + "eval_logits", eval_logits)]
    # A float32 engine takes the other side of a ReLU or picks another
    # maximum only where the float64 decision is this close (its rounding
    # is about 1e-7 of the values, which are of order 1 here).
    closest = min(margins, key=lambda m: m[1])
    summary = (f"{case}: {len(layers)} layers, {sum(tensors.values[n].numel() for n in trainable)} "
               f"parameters, loss {loss.item():.6f} (ce {ce.item():.6f}), "
               f"closest decision {closest[1]:.2g} ({closest[0]})")
    return out, summary


def main():
    # One thread so every reduction runs in the same order on every machine.
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    with open(NET_PATH) as f:
        text = f.read()

    x = images()
    labels = torch.randint(0, CLASSES, (BATCH,))

    scalar = lambda value: torch.tensor(value, dtype=DTYPE)
    tensors = [("l2", scalar(L2)), ("bn_momentum", scalar(BN_MOMENTUM)),
               ("bn_epsilon", scalar(BN_EPSILON)),
               ("input", x), ("labels", labels.to(DTYPE))]
    summaries = []
    # Finite differences through every kind of layer: the stem below the
    # batch norm's three readers, both residual operands, the concatenated
    # branch, the head after pooling and padding, the L2-carrying kernels.
    for case, case_text, checked in (
            ("grey28", text, ["stem.weight", "stem_bn.gamma", "project.bias", "body1.bias",
                              "body2.weight", "side.weight", "head.bias", "hidden.weight",
                              "hidden_bn.beta", "logits.weight", "logits.bias"]),
            ("rgb32", RGB32_INPUT + text, ["stem.weight", "stem_bn.beta", "side.bias",
                                           "head.bias", "hidden_bn.gamma", "logits.weight"])):
        case_tensors, summary = run_case(case, case_text, x, labels, checked)
        tensors += case_tensors
        summaries.append(summary)

    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    write_fixture(OUT_PATH, tensors)
    print(f"{OUT_PATH}: {len(tensors)} tensors, {os.path.getsize(OUT_PATH)} bytes; "
          + "; ".join(summaries) + "; gradcheck ok")


if __name__ == "__main__":
    main()
