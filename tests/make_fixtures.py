#!/usr/bin/python3
"""make_fixtures: writes tests/fixtures/reference_net.bin, the independent
reference that the C tests compare sweep's layers, loss and Adam against.

It builds a small CNN with Keras semantics (the ones sweep copies) out of
plain torch functions, trains it for two steps in float64 and records the
inputs, the initial state, the logits, the losses, every gradient and the
state after each step, in float32. It is not a trainer and uses no torch.nn
modules or torch.optim: each Keras convention is written out where it is
used, so the reference can be read against the C code line by line.

What the file holds (names as in the C engine, layouts NCHW and (out, in)):
  lr, l2, bn_momentum, bn_epsilon, adam_beta1, adam_beta2, adam_epsilon
  input, labels (labels as floats), input2, labels2
  init/NAME                every parameter and moving statistic
  logits, loss, ce_loss    training forward of input from init/
  grad/NAME                d loss / d parameter (L2 included)
  step1/NAME               after Adam step 1 and the moving-statistic update
  loss2, grad2/NAME        training forward and backward of input2 from step1/
  step2/NAME               after Adam step 2
  eval_logits              inference forward of input from step2/

Each stage starts from the float32 values stored for the one before, so a
C test can check one stage at a time: forward and backward from init/; Adam
fed with the stored grad/ and grad2/; step 2 from the stored step1/;
inference from step2/. Run end to end in float32, two steps also differ by
float32 noise amplified by Adam wherever a gradient is near zero (the
script lists those elements).

Run with Debian's torch: /usr/bin/python3 tests/make_fixtures.py
Running it twice gives identical bytes.
"""

import math
import os
import struct

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- settings

SEED = 2026
BATCH = 5
IMAGE = 28          # 1 x 28 x 28 inputs, NCHW
CLASSES = 10

LR = 0.01           # Keras defaults to 0.001; larger so one step is plainly visible
L2 = 0.01           # kernel_regularizer=l2(0.01) on the hidden dense kernels only
BN_MOMENTUM = 0.99  # Keras BatchNormalization defaults
BN_EPSILON = 1e-3
ADAM_BETA1 = 0.9    # Keras Adam defaults
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-7

# Convolution blocks: each is a list of (c_in, c_out) 3x3 'same' convolutions
# with ReLU, then a 2x2 max pool and a batch norm over the block's channels.
CONV_BLOCKS = [[(1, 4), (4, 6)], [(6, 8)]]
# Hidden dense layers: (in, out), each Linear + ReLU + batch norm.
DENSE = [(8 * 7 * 7, 16)]

DTYPE = torch.float64  # the reference is computed in float64, stored as float32

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "reference_net.bin")

# ------------------------------------------------------- parameter layout

# Every parameter and moving statistic in network order, with its shape and
# how it starts. The C engine uses these names and layouts exactly.
def parameter_layout():
    layout = []  # (name, shape, init kind, trainable)

    def batch_norm_entries(prefix, c):
        return [(prefix + ".gamma", (c,), "gamma", True),
                (prefix + ".beta", (c,), "beta", True),
                (prefix + ".moving_mean", (c,), "zeros", False),
                (prefix + ".moving_var", (c,), "ones", False)]

    for b, convs in enumerate(CONV_BLOCKS):
        for i, (c_in, c_out) in enumerate(convs):
            layout.append((f"block{b}.conv{i}.weight", (c_out, c_in, 3, 3), "glorot", True))
            layout.append((f"block{b}.conv{i}.bias", (c_out,), "bias", True))
        layout += batch_norm_entries(f"block{b}.bn", convs[-1][1])
    for j, (n_in, n_out) in enumerate(DENSE):
        layout.append((f"dense{j}.weight", (n_out, n_in), "glorot", True))
        layout.append((f"dense{j}.bias", (n_out,), "bias", True))
        layout += batch_norm_entries(f"dense{j}.bn", n_out)
    layout.append(("output.weight", (CLASSES, DENSE[-1][1]), "glorot", True))
    layout.append(("output.bias", (CLASSES,), "bias", True))
    return layout


LAYOUT = parameter_layout()
ALL_NAMES = [name for name, _, _, _ in LAYOUT]
TRAINABLE = [name for name, _, _, trainable in LAYOUT if trainable]
MOVING = [name for name, _, _, trainable in LAYOUT if not trainable]


def glorot_limit(shape):
    # Keras glorot_uniform: for a conv kernel the receptive field counts on
    # both sides (fan_in = C_in*9, fan_out = C_out*9); for dense (out, in).
    receptive = shape[2] * shape[3] if len(shape) == 4 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    return math.sqrt(6.0 / (fan_in + fan_out))


def uniform(shape, low, high):
    # Drawn in float32, the precision the file stores, so the float64
    # reference starts from exactly the values the C engine loads.
    return torch.empty(shape, dtype=torch.float32).uniform_(low, high).to(DTYPE)


def initial_state():
    state = {}
    for name, shape, kind, _ in LAYOUT:
        if kind == "glorot":
            a = glorot_limit(shape)
            state[name] = uniform(shape, -a, a)
        elif kind == "bias":
            # Keras starts biases at zero; non-zero here so their gradients show.
            state[name] = uniform(shape, -0.1, 0.1)
        elif kind == "gamma":
            state[name] = uniform(shape, 0.5, 1.5)
        elif kind == "beta":
            state[name] = uniform(shape, -0.2, 0.2)
        elif kind == "zeros":
            state[name] = torch.zeros(shape, dtype=DTYPE)
        elif kind == "ones":
            state[name] = torch.ones(shape, dtype=DTYPE)
    return state

# ---------------------------------------------------------------- forward

def batch_norm(x, prefix, state, training, batch_stats):
    """Keras BatchNormalization over axis 1 (channels of NCHW, features of NC).

    Training normalises with the batch mean and the biased batch variance and
    reports the statistics for the moving update; inference uses the moving
    statistics. Either way y = gamma * (x - mean) / sqrt(var + eps) + beta.
    """
    reduce_dims = (0, 2, 3) if x.dim() == 4 else (0,)
    shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    if training:
        mean = x.mean(dim=reduce_dims)
        var = ((x - mean.reshape(shape)) ** 2).mean(dim=reduce_dims)
        n = x.numel() // x.shape[1]
        # Keras 2 runs the fused kernel on 4-D input (after a conv block),
        # whose moving variance takes the unbiased estimate; on 2-D input
        # (after a dense layer) it uses tf.nn.moments, which is biased.
        unbiased = n / (n - 1) if x.dim() == 4 else 1.0
        batch_stats[prefix] = (mean.detach(), var.detach() * unbiased)
    else:
        mean = state[prefix + ".moving_mean"]
        var = state[prefix + ".moving_var"]
    gamma = state[prefix + ".gamma"].reshape(shape)
    beta = state[prefix + ".beta"].reshape(shape)
    return gamma * (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + BN_EPSILON) + beta


def forward(state, x, training):
    """Returns the logits (B, 10) and, in training, each batch norm's
    (batch mean, batch variance for the moving update) keyed by its prefix."""
    batch_stats = {}
    h = x
    for b, convs in enumerate(CONV_BLOCKS):
        for i in range(len(convs)):
            p = f"block{b}.conv{i}"
            # Keras 'same' for a 3x3 kernel at stride 1 is one pixel of zeros
            # on every side; both Keras and torch cross-correlate.
            h = F.conv2d(h, state[p + ".weight"], state[p + ".bias"], stride=1, padding=1)
            # ReLU's derivative at exactly 0 is taken as 0, as torch and TF do.
            h = torch.relu(h)
        # A tie in a pool window sends the gradient to the first maximum in
        # row-major order (torch and TF alike); here ties only occur among
        # ReLU zeros, whose gradient the ReLU then stops anyway.
        h = F.max_pool2d(h, kernel_size=2, stride=2)
        h = batch_norm(h, f"block{b}.bn", state, training, batch_stats)
    # Flatten in (C, H, W) order: sweep's own convention (Keras on NHWC
    # would flatten in (H, W, C) order).
    h = h.reshape(h.shape[0], -1)
    for j in range(len(DENSE)):
        p = f"dense{j}"
        h = torch.relu(h @ state[p + ".weight"].t() + state[p + ".bias"])
        h = batch_norm(h, p + ".bn", state, training, batch_stats)
    logits = h @ state["output.weight"].t() + state["output.bias"]
    return logits, batch_stats


def losses(state, logits, labels):
    """(cross-entropy, total). Keras reports the total: the mean softmax
    cross-entropy plus l2 * sum(w^2) over each hidden dense kernel."""
    ce = F.cross_entropy(logits, labels, reduction="mean")
    penalty = sum((state[f"dense{j}.weight"] ** 2).sum() for j in range(len(DENSE)))
    return ce, ce + L2 * penalty

# ------------------------------------------------------ one training step

def adam_update(state, grads, adam):
    """Keras Adam: m and v start at zero and t counts the steps taken; the
    bias correction is folded into the step size and epsilon is added to
    the uncorrected sqrt(v). torch.optim.Adam adds epsilon to the corrected
    sqrt(v_hat) instead, which is why it is not used here."""
    adam["t"] += 1
    t = adam["t"]
    lr_t = LR * math.sqrt(1.0 - ADAM_BETA2 ** t) / (1.0 - ADAM_BETA1 ** t)
    new_state = dict(state)
    for name in TRAINABLE:
        g = grads[name]
        m = ADAM_BETA1 * adam["m"][name] + (1.0 - ADAM_BETA1) * g
        v = ADAM_BETA2 * adam["v"][name] + (1.0 - ADAM_BETA2) * g * g
        adam["m"][name], adam["v"][name] = m, v
        new_state[name] = state[name] - lr_t * m / (torch.sqrt(v) + ADAM_EPSILON)
    return new_state


def moving_update(state, batch_stats):
    # Keras: moving = momentum * moving + (1 - momentum) * batch statistic.
    new_state = dict(state)
    for prefix, (mean, var_unbiased) in batch_stats.items():
        for name, value in ((prefix + ".moving_mean", mean), (prefix + ".moving_var", var_unbiased)):
            new_state[name] = BN_MOMENTUM * state[name] + (1.0 - BN_MOMENTUM) * value
    return new_state


def train_step(state, adam, x, labels):
    """Forward in training mode, gradients of the total loss, then the Adam
    step and the moving-statistic update (both from the same forward)."""
    leaves = {name: state[name].clone().requires_grad_(name in TRAINABLE) for name in ALL_NAMES}
    logits, batch_stats = forward(leaves, x, training=True)
    ce, loss = losses(leaves, logits, labels)
    grad_list = torch.autograd.grad(loss, [leaves[name] for name in TRAINABLE])
    grads = dict(zip(TRAINABLE, grad_list))
    new_state = moving_update(adam_update(state, grads, adam), batch_stats)
    return logits.detach(), ce.detach(), loss.detach(), grads, new_state

# ------------------------------------------------------------- self checks

def check_gradients(state, x, labels, names):
    """Finite differences (torch.autograd.gradcheck) of the float64 total
    loss with respect to a few parameters, the rest held fixed."""
    def loss_of(*values):
        trial = dict(state)
        trial.update(zip(names, values))
        logits, _ = forward(trial, x, training=True)
        return losses(trial, logits, labels)[1]
    inputs = tuple(state[name].clone().requires_grad_(True) for name in names)
    assert torch.autograd.gradcheck(loss_of, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def check_against_torch_batch_norm(state, x):
    """The hand-written batch norm and moving update against F.batch_norm,
    whose momentum is Keras's 1 - momentum and which always keeps the
    unbiased variance: after a dense layer Keras keeps the biased one, so
    there torch's update is rescaled by (n-1)/n before comparing."""
    running = {name: state[name].clone() for name in MOVING}

    def torch_bn(h, prefix):
        return F.batch_norm(h, running[prefix + ".moving_mean"], running[prefix + ".moving_var"],
                            state[prefix + ".gamma"], state[prefix + ".beta"], training=True,
                            momentum=1.0 - BN_MOMENTUM, eps=BN_EPSILON)
    h = x
    for b, convs in enumerate(CONV_BLOCKS):
        for i in range(len(convs)):
            p = f"block{b}.conv{i}"
            h = torch.relu(F.conv2d(h, state[p + ".weight"], state[p + ".bias"], padding=1))
        h = torch_bn(F.max_pool2d(h, 2, 2), f"block{b}.bn")
    h = h.reshape(h.shape[0], -1)
    for j in range(len(DENSE)):
        p = f"dense{j}"
        h = torch_bn(torch.relu(F.linear(h, state[p + ".weight"], state[p + ".bias"])), p + ".bn")
    torch_logits = F.linear(h, state["output.weight"], state["output.bias"])

    logits, batch_stats = forward(state, x, training=True)
    moved = moving_update(state, batch_stats)
    assert torch.allclose(logits, torch_logits, rtol=1e-12, atol=1e-12)
    n = x.shape[0]
    for name in MOVING:
        expected = running[name]
        if name.startswith("dense") and name.endswith(".moving_var"):
            kept = BN_MOMENTUM * state[name]
            expected = kept + (expected - kept) * (n - 1) / n
        assert torch.allclose(moved[name], expected, rtol=1e-12, atol=1e-12), name


def as_stored(state):
    """The state rounded to float32. Step 2 and the evaluation start from
    exactly what the file stores, so a C test can load step1/ or step2/ and
    reproduce the next numbers without carrying float64 state. (Adam's m and
    v stay float64; a test rebuilds them from grad/: m = (1-b1) g, v = (1-b2) g^2.)"""
    return {name: value.to(torch.float32).to(DTYPE) for name, value in state.items()}


def report_fragile_adam_steps(grads1, grads2, threshold=1e-5):
    """Prints the gradient elements too small for a float32 engine to
    reproduce their Adam step. The first step moves a weight by
    lr * g / (|g| + eps / sqrt(1 - b2)), which is lr * sign(g) once |g| is
    well above 3e-6; where the exact gradient is (close to) zero, float32
    rounding noise decides a step of up to lr either way. Exact zeros do
    occur: a bias whose ReLU passes every value the max pool selects feeds a
    batch norm that cancels it (as a bias straight before a batch norm)."""
    for tag, grads in (("grad", grads1), ("grad2", grads2)):
        for name in TRAINABLE:
            small = torch.nonzero(grads[name].reshape(-1).abs() < threshold).reshape(-1).tolist()
            if small:
                print(f"fragile Adam step (|gradient| < {threshold:g}): {tag}/{name} elements {small}")


# ------------------------------------------------------------- file output

def write_fixture(path, tensors):
    """SWFX version 1, little-endian: magic, version, count; per tensor the
    name length and bytes, ndim, dims, then float32 data."""
    with open(path, "wb") as f:
        f.write(b"SWFX")
        f.write(struct.pack("<II", 1, len(tensors)))
        for name, t in tensors:
            encoded = name.encode("ascii")
            values = t.detach().reshape(-1).tolist()
            f.write(struct.pack("<I", len(encoded)))
            f.write(encoded)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack(f"<{t.dim()}I", *t.shape))
            f.write(struct.pack(f"<{len(values)}f", *values))


def main():
    # One thread so every reduction runs in the same order on every machine.
    torch.set_num_threads(1)
    torch.manual_seed(SEED)

    state = initial_state()
    x1 = uniform((BATCH, 1, IMAGE, IMAGE), 0.0, 1.0)
    x2 = uniform((BATCH, 1, IMAGE, IMAGE), 0.0, 1.0)
    labels1 = torch.randint(0, CLASSES, (BATCH,))
    labels2 = torch.randint(0, CLASSES, (BATCH,))

    check_against_torch_batch_norm(state, x1)
    check_gradients(state, x1, labels1,
                    ["block0.conv0.weight", "block0.conv0.bias", "block0.bn.gamma",
                     "block1.conv0.bias", "block1.bn.beta", "dense0.bias",
                     "dense0.bn.gamma", "output.weight", "output.bias"])

    adam = {"t": 0,
            "m": {name: torch.zeros_like(state[name]) for name in TRAINABLE},
            "v": {name: torch.zeros_like(state[name]) for name in TRAINABLE}}
    logits1, ce1, loss1, grads1, state1 = train_step(state, adam, x1, labels1)
    state1 = as_stored(state1)
    # dense0.weight carries the L2 term; it is checked here (6272 elements,
    # most of the script's running time) rather than twice.
    check_gradients(state1, x2, labels2,
                    ["block0.conv1.bias", "block1.bn.gamma", "dense0.weight", "dense0.bn.beta"])
    _, _, loss2, grads2, state2 = train_step(state1, adam, x2, labels2)
    state2 = as_stored(state2)
    eval_logits, _ = forward(state2, x1, training=False)
    report_fragile_adam_steps(grads1, grads2)

    scalar = lambda value: torch.tensor(value, dtype=DTYPE)
    tensors = [("lr", scalar(LR)), ("l2", scalar(L2)),
               ("bn_momentum", scalar(BN_MOMENTUM)), ("bn_epsilon", scalar(BN_EPSILON)),
               ("adam_beta1", scalar(ADAM_BETA1)), ("adam_beta2", scalar(ADAM_BETA2)),
               ("adam_epsilon", scalar(ADAM_EPSILON)),
               ("input", x1), ("labels", labels1.to(DTYPE)),
               ("input2", x2), ("labels2", labels2.to(DTYPE))]
    tensors += [("init/" + name, state[name]) for name in ALL_NAMES]
    tensors += [("logits", logits1), ("loss", loss1), ("ce_loss", ce1)]
    tensors += [("grad/" + name, grads1[name]) for name in TRAINABLE]
    tensors += [("step1/" + name, state1[name]) for name in ALL_NAMES]
    tensors += [("loss2", loss2)]
    tensors += [("grad2/" + name, grads2[name]) for name in TRAINABLE]
    tensors += [("step2/" + name, state2[name]) for name in ALL_NAMES]
    tensors += [("eval_logits", eval_logits)]

    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    write_fixture(OUT_PATH, tensors)
    print(f"{OUT_PATH}: {len(tensors)} tensors, {os.path.getsize(OUT_PATH)} bytes; "
          f"loss {loss1.item():.6f} (ce {ce1.item():.6f}), loss2 {loss2.item():.6f}; gradcheck ok")


if __name__ == "__main__":
    main()
