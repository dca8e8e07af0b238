#!/usr/bin/python3
"""make_base_fixtures: writes tests/fixtures/bases/, the independent check
that each pretrained base (VGG16, VGG19, InceptionV3, ResNet152V2, as
keras.applications defines them with include_top=False) computes, once
src/train/pretrained.c has loaded a Keras weights file into it, what Keras
would compute with the same weights. tests/train/test_pretrained.c reads
these files; it needs neither torch nor Python.

Each architecture is written out here a second time, from keras.applications'
definitions (vgg16.py, vgg19.py, inception_v3.py, resnet.py/resnet_v2.py), as
a list of Keras layers with the names Keras gives them, and run with plain
torch functions in float64 with Keras's (TensorFlow's) meaning:
  Conv2D 'same'     TF's padding: ceil(size / stride) out, the odd cell of
                    padding after the image (stride 1, odd kernels: symmetric)
  MaxPooling2D      'valid' windows only (every use in these bases)
  AveragePooling2D  InceptionV3's ((3, 3), strides 1, 'same'): TF averages
                    over the cells inside the image only
  BatchNormalization inference: gamma (x - moving_mean) / sqrt(moving_variance
                    + epsilon) + beta; epsilon 1e-3, ResNetV2's 1.001e-5;
                    InceptionV3's scale=False: no gamma
  ZeroPadding2D, Add, Concatenate (channels), Activation('relu')
The input is the net's layer "input_1": the grey image replicated to 3
channels, resized bilinearly to the input size with half-pixel centres
(F.interpolate(mode='bilinear', align_corners=False, antialias=False)),
then preprocessed: VGG's 'caffe' 255 x minus the ImageNet mean of each BGR
channel, [103.939, 116.779, 123.68]; InceptionV3's and ResNetV2's 'tf' 2 x - 1.

Every filter count is round(filters x width) as C's lround does it (halves
away from zero, not Python's round), at least 1; each base's width keeps
its weights small, and InceptionV3's and ResNet152V2's put some counts on
.5 (InceptionV3's 80/32 = 2.5 and 48/32 = 1.5, ResNet's 128 x 5/256 = 2.5)
and tell round(4 x filters x width) from 4 x round(filters x width)
(ResNet's 256 x 5/256 = 5, not 4 x 1).

  base          width   input  weights file (Keras 2 names unless said)
  vgg16         1/32    32     vgg16.h5
  vgg19         1/32    32     vgg19.h5 (the same width: VGG19's file for
                               VGG16 fails on a layer, not a shape)
  inception_v3  1/32    75     inception_v3.h5, Keras 2.0's 1-based auto names
                               (conv2d_1 ... conv2d_94); and
                               inception_v3_tf_keras.h5: the same weights under
                               tf.keras's 0-based names (conv2d, conv2d_1 ...
                               conv2d_93), which the loader is to match by rank
  resnet152_v2  5/256   75     resnet152_v2.h5

The weights are this script's own, drawn in creation order from one seeded
generator per base in float32 (the precision stored), from what reaches
each layer when the first 32 test images run through the layers drawn so
far, so that every layer matters and activations stay of order 1 through
150 layers: kernels uniform with variance gain / fan_in (gain 2 before
VGG's ReLUs, else 1); conv biases a random fraction (-0.5..0.5) of the
spread of the conv's output; batch norms' moving mean a random fraction
(-0.3..0.3) of the root mean square of their input, moving variance 3 to 6
times its mean square (positive), gamma 0.5..1.5, beta -0.5..0.5. A deep
random net magnifies any small change of its input, float32's rounding in
every layer included, and batch norms fitted more tightly to the data
(moving mean and variance near the batch's own) make InceptionV3 and
ResNet152V2 chaotic: PyTorch's own float32 forward then ends up to 1e-3
away from float64. With these, about 60% of the channels after a ReLU are
zero at some cells and not at others; PyTorch's float32 forward stays
within 3e-5 of float64 (float32_error; the script stops if it does not);
and a fault moves some compared tensor far more: one bias of VGG16's
block5_conv3 1% off by 5e-4 of its scale, InceptionV3's epsilon 1.001e-3
for 1e-3 by 1.6e-3, the caffe means in RGB order by 0.1, align_corners
resizing by 0.04 (VGG16) to 0.95, padding counted in InceptionV3's
averages by 0.8, kernels transposed (kh with kw) by 0.6 to 1, ResNet's
epsilon 1e-3 by 0.3. The forward of the 4 images from the weights as
stored must agree with the drawing one.

Each weights file is what Keras's legacy save_weights writes (h5py's
defaults): root attributes layer_names (a numpy array of 'S' byte strings,
every layer in the model's order, weightless ones included), backend and
keras_version; a group per layer, in that order, with attribute weight_names
('S' strings; Keras's [] for a weightless layer, which h5py stores as a
float64 attribute of no elements) and the datasets at those paths inside
the group ('conv2d_1/kernel:0' is dataset kernel:0 in group conv2d_1 inside
group conv2d_1): conv kernels HWIO (kh, kw, in, out) float32, biases (out),
batch norm gamma:0, beta:0, moving_mean:0, moving_variance:0. The model's
order is Keras 2's Network order (_map_graph_network): layers by decreasing
depth from the output, ties by their order in a depth-first walk from the
output -- not the order of creation. The tf.keras variant creates its
groups sorted by name and adds the empty top_level_model_weights group, as
tf.keras 2 does. vgg16.h5 is in HDF5's oldest format, as h5py writes by
default and as the ImageNet files are; the others in HDF5 1.8's
(libver='v108'), whose groups keep their links in their own headers: the
same groups, attributes and datasets in less than half the bytes (1.8 MB
less). No timestamps are kept, so the bytes repeat.

tests/fixtures/bases/expected.bin (SWFX, tests/fixture.h) holds:
  images             (4, 1, 28, 28) the first 4 images of Fashion-MNIST's
                     test set as the C loader gives them (byte / 255.0f)
  BASE/width, BASE/input_size   the trial's base_width and input_size
  BASE/float32_error the largest error of PyTorch's float32 forward over
                     the compared tensors (as the C test measures it)
  BASE/out           (4, C, H, W) the base's output (what "flatten" reads)
  BASE/at/LAYER      (1, C, H, W) some inner layers' outputs, of the first
                     image (where a fault starts)
  BASE/shapes        (layers, 3) each Keras layer's output (C, H, W), in the
                     order of BASE.h5's layer_names
all computed in float64 and stored as float32.

Run with Debian's torch, numpy and h5py, from anywhere:
  /usr/bin/python3 tests/make_base_fixtures.py
It reads /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz.
Running it twice gives identical bytes.
"""

import gzip
import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

# No __pycache__ left in tests/ by importing the writer.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_fixture  # noqa: E402  (one SWFX writer)

SEED = 2031
BATCH = 4
CALIBRATION = 32     # test images the weights are drawn from (the batch is the first 4)
# PyTorch's float32 forward must stay this close to float64 (see float32_error).
FLOAT32_ERROR_MAX = 3e-5
DTYPE = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures", "bases")
IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
BN_EPSILON = 1e-3            # Keras's BatchNormalization default
RESNET_V2_EPSILON = 1.001e-5

# Keras's snake-case prefix of each class's auto names.
PREFIX = {"Conv2D": "conv2d", "BatchNormalization": "batch_normalization",
          "Activation": "activation", "MaxPooling2D": "max_pooling2d",
          "AveragePooling2D": "average_pooling2d", "Concatenate": "concatenate",
          "ZeroPadding2D": "zero_padding2d", "Add": "add"}

# ------------------------------------------------------------- a Keras graph


def lround(x):
    """C's lround for x >= 0: halves away from zero (2.5 -> 3; Python's
    round gives 2)."""
    whole = math.floor(x)
    return int(whole) + (1 if x - whole >= 0.5 else 0)


class Model:
    """Keras layers in creation order: dicts {name, cls, inputs, ...}.
    zero_based: tf.keras's auto names (conv2d, conv2d_1, ...), else Keras
    2.0's (conv2d_1, conv2d_2, ...). Input layers are input_1 in both."""

    def __init__(self, width, zero_based=False):
        self.width = width
        self.zero_based = zero_based
        self.layers = []
        self.counters = {}
        self.add("InputLayer", [], name="input_1")

    def filters(self, n):
        return max(1, lround(n * self.width))

    def add(self, cls, inputs, name=None, **config):
        if name is None:   # Keras counts only the layers it names itself
            prefix = PREFIX[cls]
            k = self.counters.get(prefix, 0)
            self.counters[prefix] = k + 1
            k += 0 if self.zero_based else 1
            name = prefix if k == 0 else "%s_%d" % (prefix, k)
        assert all(name != layer["name"] for layer in self.layers), name
        self.layers.append(dict(name=name, cls=cls, inputs=list(inputs), **config))
        return name

    # The layer constructors as keras.applications calls them.
    def conv(self, x, filters, kernel, strides=1, padding="valid", use_bias=True,
             relu=False, name=None):
        kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
        strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
        return self.add("Conv2D", [x], name, filters=self.filters(filters), kernel=kernel,
                        strides=strides, padding=padding, use_bias=use_bias, relu=relu)

    def bn(self, x, epsilon=BN_EPSILON, scale=True, name=None):
        return self.add("BatchNormalization", [x], name, epsilon=epsilon, scale=scale)

    def relu(self, x, name=None):
        return self.add("Activation", [x], name)

    def max_pool(self, x, size, strides, name=None):
        return self.add("MaxPooling2D", [x], name, size=(size, size), strides=(strides, strides))

    def avg_pool_same(self, x, name=None):
        return self.add("AveragePooling2D", [x], name, size=(3, 3), strides=(1, 1))

    def zero_pad(self, x, pad, name=None):
        return self.add("ZeroPadding2D", [x], name, pad=pad)

    def concat(self, xs, name=None):
        return self.add("Concatenate", xs, name)

    def add_layer(self, xs, name=None):
        return self.add("Add", xs, name)

    def keras_order(self):
        """The layers as Keras 2's Network lists them (_map_graph_network):
        a depth-first walk from the output, each layer numbered when first
        reached, inputs in order; a layer's depth is the longest path to the
        output; decreasing depth, ties by that number."""
        by_name = {layer["name"]: layer for layer in self.layers}
        number, finished, post_order = {}, set(), []

        def walk(name):
            if name in finished:
                return
            number.setdefault(name, len(number))
            for source in by_name[name]["inputs"]:
                walk(source)
            finished.add(name)
            post_order.append(name)

        walk(self.layers[-1]["name"])
        assert len(post_order) == len(self.layers), "a layer does not reach the output"
        depth = {}
        for name in reversed(post_order):
            d = depth.setdefault(name, 0)
            for source in by_name[name]["inputs"]:
                depth[source] = max(d + 1, depth.get(source, 0))
        return [by_name[n] for n in sorted(post_order, key=lambda n: (-depth[n], number[n]))]


# ------------------------------------------------------ keras.applications


def vgg(width, convs_per_block):
    """vgg16.py / vgg19.py, include_top=False: Conv2D(filters, (3, 3),
    activation='relu', padding='same', name='blockB_convK') ..., then
    MaxPooling2D((2, 2), strides=(2, 2), name='blockB_pool')."""
    m = Model(width)
    x = "input_1"
    for b, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for k in range(1, convs + 1):
            x = m.conv(x, filters, 3, padding="same", relu=True, name="block%d_conv%d" % (b, k))
        x = m.max_pool(x, 2, 2, name="block%d_pool" % b)
    return m


def inception_v3(width, zero_based=False):
    """inception_v3.py, include_top=False."""
    m = Model(width, zero_based)

    def conv2d_bn(x, filters, rows, cols, padding="same", strides=(1, 1)):
        x = m.conv(x, filters, (rows, cols), strides, padding, use_bias=False)
        x = m.bn(x, scale=False)
        return m.relu(x)

    x = conv2d_bn("input_1", 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = m.max_pool(x, 3, 2)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = m.max_pool(x, 3, 2)

    # mixed 0, 1, 2: 35 x 35 x 256 at Keras's 299
    for i, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)
        branch5x5 = conv2d_bn(x, 48, 1, 1)
        branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)
        branch3x3dbl = conv2d_bn(x, 64, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
        branch_pool = m.avg_pool_same(x)
        branch_pool = conv2d_bn(branch_pool, pool_filters, 1, 1)
        x = m.concat([branch1x1, branch5x5, branch3x3dbl, branch_pool], name="mixed%d" % i)

    # mixed 3: 17 x 17 x 768
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = m.max_pool(x, 3, 2)
    x = m.concat([branch3x3, branch3x3dbl, branch_pool], name="mixed3")

    # mixed 4, 5, 6, 7: 17 x 17 x 768
    for i, mid in zip(range(4, 8), (128, 160, 160, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)
        branch7x7 = conv2d_bn(x, mid, 1, 1)
        branch7x7 = conv2d_bn(branch7x7, mid, 1, 7)
        branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
        branch7x7dbl = conv2d_bn(x, mid, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, mid, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, mid, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, mid, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
        branch_pool = m.avg_pool_same(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = m.concat([branch1x1, branch7x7, branch7x7dbl, branch_pool], name="mixed%d" % i)

    # mixed 8: 8 x 8 x 1280
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = m.max_pool(x, 3, 2)
    x = m.concat([branch3x3, branch7x7x3, branch_pool], name="mixed8")

    # mixed 9, 10: 8 x 8 x 2048
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
        branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
        branch3x3 = m.concat([branch3x3_1, branch3x3_2], name="mixed9_%d" % i)
        branch3x3dbl = conv2d_bn(x, 448, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
        branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
        branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
        branch3x3dbl = m.concat([branch3x3dbl_1, branch3x3dbl_2])
        branch_pool = m.avg_pool_same(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = m.concat([branch1x1, branch3x3, branch3x3dbl, branch_pool], name="mixed%d" % (9 + i))
    return m


def resnet152_v2(width):
    """resnet.py's ResNet(stack_fn, preact=True, use_bias=True) with
    resnet_v2.py's stacks, include_top=False."""
    m = Model(width)
    eps = RESNET_V2_EPSILON

    def block2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
        preact = m.bn(x, eps, name=name + "_preact_bn")
        preact = m.relu(preact, name=name + "_preact_relu")
        if conv_shortcut:
            shortcut = m.conv(preact, 4 * filters, 1, strides=stride, name=name + "_0_conv")
        else:
            shortcut = m.max_pool(x, 1, stride) if stride > 1 else x
        x = m.conv(preact, filters, 1, strides=1, use_bias=False, name=name + "_1_conv")
        x = m.bn(x, eps, name=name + "_1_bn")
        x = m.relu(x, name=name + "_1_relu")
        x = m.zero_pad(x, 1, name=name + "_2_pad")
        x = m.conv(x, filters, kernel_size, strides=stride, use_bias=False, name=name + "_2_conv")
        x = m.bn(x, eps, name=name + "_2_bn")
        x = m.relu(x, name=name + "_2_relu")
        x = m.conv(x, 4 * filters, 1, name=name + "_3_conv")
        return m.add_layer([shortcut, x], name=name + "_out")

    def stack2(x, filters, blocks, stride1=2, name=None):
        x = block2(x, filters, conv_shortcut=True, name=name + "_block1")
        for i in range(2, blocks):
            x = block2(x, filters, name=name + "_block" + str(i))
        return block2(x, filters, stride=stride1, name=name + "_block" + str(blocks))

    x = m.zero_pad("input_1", 3, name="conv1_pad")
    x = m.conv(x, 64, 7, strides=2, use_bias=True, name="conv1_conv")
    x = m.zero_pad(x, 1, name="pool1_pad")
    x = m.max_pool(x, 3, 2, name="pool1_pool")
    x = stack2(x, 64, 3, name="conv2")
    x = stack2(x, 128, 8, name="conv3")
    x = stack2(x, 256, 36, name="conv4")
    x = stack2(x, 512, 3, stride1=1, name="conv5")
    x = m.bn(x, eps, name="post_bn")
    m.relu(x, name="post_relu")
    return m


# ---------------------------------------------------------------- running


def tf_pads(size, k, s, padding):
    """(out, before, after) on one axis, TensorFlow's rule."""
    if padding == "valid":
        out = (size - k) // s + 1
        assert out > 0, (size, k, s)
        return out, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def preprocess_input(images, size, mode):
    """The net's input_1: (B, 1, 28, 28) in [0, 1] to (B, 3, size, size)."""
    x = images
    if x.shape[2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=False)
    x = x.expand(-1, 3, -1, -1)
    if mode == "caffe":
        mean = torch.tensor(CAFFE_BGR_MEAN, dtype=x.dtype).reshape(1, 3, 1, 1)
        return x * 255.0 - mean
    return x * 2.0 - 1.0


class Weights:
    """Per layer the Keras arrays [(short name, float32 array in Keras's
    layout)], drawn when the layer first runs (draw=True) from what
    reaches it."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.arrays = {}
        self.draw = True
        self.dtype = DTYPE   # what get gives (float32 for the rounding check)

    def uniform(self, shape, low, high):
        return self.rng.uniform(low, high, shape).astype(np.float32)

    def get(self, name):
        return [torch.from_numpy(a).to(self.dtype) for _, a in self.arrays[name]]


def channel_stats(x):
    return x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)


def conv(layer, x, weights, gain):
    kh, kw = layer["kernel"]
    sh, sw = layer["strides"]
    oh, top, bottom = tf_pads(x.shape[2], kh, sh, layer["padding"])
    ow, left, right = tf_pads(x.shape[3], kw, sw, layer["padding"])
    padded = F.pad(x, (left, right, top, bottom))
    name, cin, cout = layer["name"], x.shape[1], layer["filters"]
    if weights.draw:
        fan_in = kh * kw * cin
        a = math.sqrt(3.0 * gain / fan_in)
        weights.arrays[name] = [("kernel", weights.uniform((kh, kw, cin, cout), -a, a))]
    kernel = weights.get(name)[0]
    assert tuple(kernel.shape) == (kh, kw, cin, cout), (name, kernel.shape)
    # Keras's HWIO kernel as torch's OIHW; both cross-correlate.
    y = F.conv2d(padded, kernel.permute(3, 2, 0, 1), stride=(sh, sw))
    assert tuple(y.shape[2:]) == (oh, ow), (name, y.shape, oh, ow)
    if layer["padding"] == "same" and (sh, sw) == (1, 1) and kh % 2 and kw % 2 and x.dtype == DTYPE:
        # Stride 1, odd kernel: TF's padding is symmetric, torch's own 'same'.
        assert torch.allclose(y, F.conv2d(x, kernel.permute(3, 2, 0, 1), padding="same"),
                              rtol=1e-12, atol=1e-12)
    if layer["use_bias"]:
        if weights.draw:
            spread = y.std(dim=(0, 2, 3), unbiased=False).numpy()
            spread = np.where(spread > 0, spread, 0.1)
            bias = (spread * weights.rng.uniform(-0.5, 0.5, cout)).astype(np.float32)
            weights.arrays[name].append(("bias", bias))
        y = y + weights.get(name)[1].reshape(1, -1, 1, 1)
    return torch.relu(y) if layer["relu"] else y


def batch_norm(layer, x, weights):
    name, c = layer["name"], x.shape[1]
    if weights.draw:
        # A deep random net magnifies a small change of its input layer
        # after layer, float32's rounding in every layer included. A batch
        # norm does most: one whose moving mean takes away most of x
        # magnifies by |x| / |x - moving_mean|, and one that scales up by
        # more than x's root mean square would. So the moving mean is a
        # random fraction of that root mean square, not x's mean, the
        # moving variance 3 to 6 times the mean square, and beta decides
        # where the ReLU after it cuts (about 60% of the channels after a
        # ReLU are zero at some cells and not at others).
        mean, var = (s.numpy() for s in channel_stats(x))
        mean_square = var + mean ** 2
        arrays = []
        if layer["scale"]:
            arrays.append(("gamma", weights.uniform((c,), 0.5, 1.5)))
        arrays.append(("beta", weights.uniform((c,), -0.5, 0.5)))
        arrays.append(("moving_mean", (np.sqrt(mean_square) * weights.rng.uniform(-0.3, 0.3, c))
                       .astype(np.float32)))
        arrays.append(("moving_variance", (mean_square * weights.rng.uniform(3.0, 6.0, c) + 1e-4)
                       .astype(np.float32)))
        weights.arrays[name] = arrays
    values = weights.get(name)
    if not layer["scale"]:
        values = [torch.ones(c, dtype=x.dtype)] + values
    gamma, beta, mean, var = (v.reshape(1, -1, 1, 1) for v in values)
    assert values[0].shape == (c,)
    return gamma * (x - mean) / torch.sqrt(var + layer["epsilon"]) + beta


def average_pool_same(layer, x):
    # TF divides by the image cells in each window: the window sums of the
    # padded input over those of a padded mask of ones.
    (kh, kw), (sh, sw) = layer["size"], layer["strides"]
    oh, top, bottom = tf_pads(x.shape[2], kh, sh, "same")
    ow, left, right = tf_pads(x.shape[3], kw, sw, "same")
    pads = (left, right, top, bottom)
    y = (F.avg_pool2d(F.pad(x, pads), (kh, kw), (sh, sw))
         / F.avg_pool2d(F.pad(torch.ones_like(x), pads), (kh, kw), (sh, sw)))
    # torch's own count_include_pad=False, where it pads symmetrically.
    assert x.dtype != DTYPE or torch.allclose(
        y, F.avg_pool2d(x, (kh, kw), (sh, sw), padding=(top, left), count_include_pad=False),
        rtol=1e-12, atol=1e-12)
    assert tuple(y.shape[2:]) == (oh, ow)
    return y


def forward(model, images, input_size, preprocess, weights, gain):
    """Every layer's output by name, in float64."""
    outs = {}
    for layer in model.layers:
        ins = [outs[n] for n in layer["inputs"]]
        cls = layer["cls"]
        if cls == "InputLayer":
            y = preprocess_input(images, input_size, preprocess)
        elif cls == "Conv2D":
            y = conv(layer, ins[0], weights, gain)
        elif cls == "BatchNormalization":
            y = batch_norm(layer, ins[0], weights)
        elif cls == "Activation":
            y = torch.relu(ins[0])
        elif cls == "MaxPooling2D":
            (kh, kw), (sh, sw) = layer["size"], layer["strides"]
            oh, _, _ = tf_pads(ins[0].shape[2], kh, sh, "valid")
            y = F.max_pool2d(ins[0], (kh, kw), (sh, sw))
            assert y.shape[2] == oh
        elif cls == "AveragePooling2D":
            y = average_pool_same(layer, ins[0])
        elif cls == "ZeroPadding2D":
            p = layer["pad"]
            y = F.pad(ins[0], (p, p, p, p))
        elif cls == "Concatenate":
            y = torch.cat(ins, dim=1)
        elif cls == "Add":
            assert all(t.shape == ins[0].shape for t in ins)
            y = sum(ins[1:], ins[0])
        else:
            raise ValueError(cls)
        assert torch.isfinite(y).all(), layer["name"]
        outs[layer["name"]] = y
    weights.draw = False
    return outs


# ------------------------------------------------------------------ files


def untimed(plist_class):
    """A property list that keeps no timestamps: HDF5 1.8's object headers
    would hold the creation time, and running twice must give the same bytes."""
    plist = h5py.h5p.create(plist_class)
    plist.set_obj_track_times(False)
    return plist


def create_file(path, compact):
    """h5py.File(path, 'w') as Keras opens it; compact: HDF5 1.8's format
    (libver='v108'), whose groups keep their links in their headers."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_V18 if compact else h5py.h5f.LIBVER_EARLIEST,
                           h5py.h5f.LIBVER_LATEST)
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fapl=fapl,
                          fcpl=untimed(h5py.h5p.FILE_CREATE))
    return h5py.File(fid)


def create_group(parent, name):
    gcpl = untimed(h5py.h5p.GROUP_CREATE)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))


def write_keras_weights(path, model, weights, keras_version, sort_groups=False, compact=False):
    """Keras's legacy save_weights_to_hdf5_group with h5py's defaults: see
    the top of this file. sort_groups: tf.keras 2's habit (groups created
    sorted by name, then an empty top_level_model_weights); compact: see
    create_file."""
    order = model.keras_order()
    with create_file(path, compact) as f:
        f.attrs["layer_names"] = np.array([l["name"].encode("utf8") for l in order])
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(keras_version)
        groups = sorted(order, key=lambda l: l["name"]) if sort_groups else order
        for layer in groups:
            g = create_group(f, layer["name"])
            arrays = weights.arrays.get(layer["name"], [])
            names = ["%s/%s:0" % (layer["name"], short) for short, _ in arrays]
            # Keras hands h5py a list: of bytes an 'S' array, [] float64 of no elements.
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names]) if names else []
            # 'conv2d_1/kernel:0': the dataset kernel:0 in a group conv2d_1
            # (h5py would make that group itself, with a timestamp).
            inner = create_group(g, layer["name"]) if arrays else None
            for wname, (_, value) in zip(names, arrays):
                dset = inner.create_dataset(wname.split("/", 1)[1], value.shape, dtype=value.dtype,
                                            track_times=False)
                dset[:] = value
        if sort_groups:
            create_group(f, "top_level_model_weights").attrs["weight_names"] = []
    return order


def renamed(model, other):
    """model's weights under other's names (the same architecture, other
    auto names): layer k of one is layer k of the other."""
    assert [l["cls"] for l in model.layers] == [l["cls"] for l in other.layers]
    return {m["name"]: o["name"] for m, o in zip(model.layers, other.layers)}


def read_images(count):
    """The first count test images, (count, 1, 28, 28)."""
    with gzip.open(IMAGES, "rb") as f:
        data = f.read(16 + count * 28 * 28)
    assert int.from_bytes(data[0:4], "big") == 0x00000803
    pixels = np.frombuffer(data[16:], dtype=np.uint8).reshape(count, 1, 28, 28)
    # As the C loader scales them: byte / 255.0f in float.
    return torch.from_numpy((pixels.astype(np.float32) / np.float32(255.0)).astype(np.float64))


BASES = [
    # name, builder, width, input size, preprocess, kernel gain, compact groups,
    # inner layers kept (of the first image)
    ("vgg16", lambda w: vgg(w, (2, 2, 3, 3, 3)), 1 / 32, 32, "caffe", 2.0, False,
     ["input_1", "block1_conv1", "block2_pool", "block3_pool", "block4_pool"]),
    ("vgg19", lambda w: vgg(w, (2, 2, 4, 4, 4)), 1 / 32, 32, "caffe", 2.0, True,
     ["block3_pool", "block4_pool"]),
    ("inception_v3", inception_v3, 1 / 32, 75, "tf", 1.0, True,
     ["activation_1", "max_pooling2d_1", "max_pooling2d_2", "mixed0", "mixed2", "mixed3",
      "mixed5", "mixed7", "mixed8", "mixed9"]),
    ("resnet152_v2", resnet152_v2, 5 / 256, 75, "tf", 1.0, True,
     ["conv1_conv", "pool1_pool", "conv2_block1_out", "conv2_block3_out", "conv3_block8_out",
      "conv4_block18_out", "conv4_block36_out", "conv5_block3_out"]),
]


def relative_error(ours, reference):
    """The comparison the C test makes: max |ours - reference| / max |reference|."""
    return ((ours.to(DTYPE) - reference).abs().max() / reference.abs().max()).item()


def float32_error(model, images, size, mode, weights, gain, outs, compared):
    """How far PyTorch's own float32 forward of the same weights is from
    the float64 one, over the tensors compared: what the C test's
    tolerance is measured against."""
    weights.dtype = torch.float32
    outs32 = forward(model, images.to(torch.float32), size, mode, weights, gain)
    weights.dtype = DTYPE
    return max(relative_error(outs32[n], outs[n]) for n in compared)


def main():
    torch.set_num_threads(1)   # every reduction in the same order on every machine
    sys.setrecursionlimit(10000)   # keras_order walks ResNet's 560 layers deep
    os.makedirs(OUT_DIR, exist_ok=True)
    calibration = read_images(CALIBRATION)
    images = calibration[:BATCH]
    tensors = [("images", images)]
    scalar = lambda v: torch.tensor(float(v), dtype=DTYPE)
    for index, (name, build, width, size, mode, gain, compact, inner) in enumerate(BASES):
        model = build(width)
        weights = Weights(SEED + index)
        last = model.layers[-1]["name"]
        with torch.no_grad():
            drawn = forward(model, calibration, size, mode, weights, gain)
            outs = forward(model, images, size, mode, weights, gain)   # from the stored values
            rounding = float32_error(model, images, size, mode, weights, gain, outs, inner + [last])
        assert all(torch.allclose(outs[k], drawn[k][:BATCH], rtol=1e-12, atol=1e-12) for k in outs)
        assert rounding <= FLOAT32_ERROR_MAX, (name, rounding)
        path = os.path.join(OUT_DIR, name + ".h5")
        order = write_keras_weights(path, model, weights, b"2.0.8", compact=compact)
        if name == "inception_v3":
            tf_model = inception_v3(width, zero_based=True)
            to_tf = renamed(model, tf_model)
            tf_weights = Weights(0)
            tf_weights.arrays = {to_tf[k]: v for k, v in weights.arrays.items()}
            write_keras_weights(os.path.join(OUT_DIR, name + "_tf_keras.h5"), tf_model,
                                tf_weights, b"2.11.0", sort_groups=True, compact=True)
        base_out = outs[last]
        shapes = torch.tensor([list(outs[l["name"]].shape[1:]) for l in order], dtype=DTYPE)
        tensors += [(name + "/width", scalar(width)), (name + "/input_size", scalar(size)),
                    (name + "/float32_error", scalar(rounding)), (name + "/out", base_out)]
        tensors += [("%s/at/%s" % (name, n), outs[n][:1]) for n in inner]
        tensors.append((name + "/shapes", shapes))
        n_weights = sum(a.size for arrays in weights.arrays.values() for _, a in arrays)
        scales = [outs[l["name"]].abs().max().item() for l in model.layers]
        print("%s: width %g, input %d, %d layers, %d weights (%d bytes in %s), output %s, "
              "largest |activation| %.3g, base output's %.3g, torch float32 off by %.2g"
              % (name, width, size, len(model.layers), n_weights, os.path.getsize(path),
                 os.path.basename(path), tuple(base_out.shape), max(scales),
                 base_out.abs().max().item(), rounding))
    write_fixture(os.path.join(OUT_DIR, "expected.bin"), tensors)


if __name__ == "__main__":
    main()
