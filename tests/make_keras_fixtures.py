#!/usr/bin/python3
"""make_keras_fixtures: writes tests/fixtures/keras/, small Keras weight
files for the reader in src/store/keras_weights.c; the C test
tests/store/test_keras_weights.c reads each and compares it with the
manifest written beside it.

The files are written with h5py exactly as Keras writes them (its legacy
saving code, keras/saving/legacy/hdf5_format.py in Keras 2, kept as
keras/src/legacy/saving/legacy_h5_format.py in Keras 3): each name list an
attribute, split over HDF5's object header limit; an empty list is h5py's
conversion of [] (a float64 attribute of zero elements); layer groups
created in sorted order, tf.keras's top_level_model_weights group after
them. Keras hands h5py a list of bytes: h5py 2, which wrote the ImageNet
files Keras downloads, stored it as a numpy 'S' array (fixed-length byte
strings) and the version strings as fixed-length strings; h5py 3 stores
the same list as variable-length strings (a split list's chunks, numpy
arrays, still as 'S'). keras2_model is written the h5py 3 way, the others
the h5py 2 way. The model is a tiny VGG-like "notop" base:

  input_1               no weights
  block1_conv1          kernel (3, 3, 3, 2) HWIO, bias (2,)
  block1_conv2          kernel (3, 3, 2, 2), bias (2,)
  block1_pool           no weights
  batch_normalization   gamma, beta, moving_mean, moving_variance (2,)
  batch_normalization_1 BatchNormalization(scale=False): beta, moving_mean,
                        moving_variance (2,), as in InceptionV3

Good files (each NAME.h5 with NAME.txt, its manifest):
  keras2_notop     model.save_weights('x.h5') by tf.keras 2 ('block1_conv1/kernel:0')
  keras1_notop     the same layers with Keras 1 flat names ('block1_conv1_W_1:0'),
                   no backend or keras_version attribute (the old ImageNet files)
  keras2_model     model.save('x.h5'): everything under /model_weights
  split_names      layer_names and one weight_names split as Keras splits them
                   over HDF5's object header limit (see write_split_names)
  other_writers    what other writers produce: variable-length string name
                   lists, a null-dataspace weight_names, float64, float16,
                   int32 and scalar datasets
Broken files (the test checks their one-line messages):
  keras3_weights   Keras 3's model.save_weights('x.weights.h5'): layers/CLASS/vars/I,
                   which the reader refuses (one line saying what to do)
  missing_layer    block1_conv2 is in layer_names but has no group
  missing_weight   block1_conv2/bias:0 is in weight_names but has no dataset
  not_hdf5         a text file
  unrelated        an HDF5 file that is not a Keras file
  truncated        the first half of keras2_notop.h5
  corrupt_dataset  block1_conv2/kernel:0 stored deflated, its chunk overwritten
  rank5            a Conv3D kernel (1, 1, 1, 2, 2): rank 5

Manifest lines (values are the float32 values the C reader must give, as
Python reprs of doubles, so strtof/strtod read them back exactly):
  format 2
  keras_version TEXT|-        ("-": no attribute)
  backend TEXT|-
  layer NAME N_ARRAYS         in the reader's order
  array NAME RANK D0 .. count N sum S values V0 V1 ...
                              N: how many values (0 for a null dataspace);
                              S: the values summed in order in double,
                              exactly as the C test sums them

Run with Debian's h5py and numpy: /usr/bin/python3 tests/make_keras_fixtures.py
Running it twice gives identical bytes.
"""

import os

import h5py
import numpy as np

SEED = 2029
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras")
# Keras's own constant: an attribute must fit in its object's header.
HDF5_OBJECT_HEADER_LIMIT = 64512
KERAS_VERSION = b"2.15.0"
BACKEND = b"tensorflow"

# name, Keras 2 weight names (relative to the layer), Keras 1 weight names,
# Keras 3 group (Keras 3 names layers by class, not by name), shapes
C = 2
LAYERS = [
    ("input_1", [], [], "input_layer", []),
    ("block1_conv1", ["kernel", "bias"], ["W", "b"], "conv2d", [(3, 3, 3, C), (C,)]),
    ("block1_conv2", ["kernel", "bias"], ["W", "b"], "conv2d_1", [(3, 3, C, C), (C,)]),
    ("block1_pool", [], [], "max_pooling2d", []),
    ("batch_normalization", ["gamma", "beta", "moving_mean", "moving_variance"],
     ["gamma", "beta", "running_mean", "running_std"], "batch_normalization", [(C,)] * 4),
    ("batch_normalization_1", ["beta", "moving_mean", "moving_variance"],
     ["beta", "running_mean", "running_std"], "batch_normalization_1", [(C,)] * 3),
]


def make_values():
    """{layer name: [float32 arrays]} from one seeded generator; variances positive."""
    rng = np.random.default_rng(SEED)
    values = {}
    for name, keras2, _, _, shapes in LAYERS:
        arrays = []
        for short, shape in zip(keras2, shapes):
            if short == "moving_variance":
                a = rng.uniform(0.5, 2.0, shape)
            else:
                a = rng.standard_normal(shape)
            arrays.append(a.astype(np.float32))
        values[name] = arrays
    return values


def keras2_names(layer, shorts):
    return ["%s/%s:0" % (layer, s) for s in shorts]


def keras1_names(layer, shorts):
    return ["%s_%s_1:0" % (layer, s) for s in shorts]


def save_attributes(group, name, data, limit=HDF5_OBJECT_HEADER_LIMIT, h5py2=True):
    """Keras's save_attributes_to_hdf5_group: a list of byte strings as one
    attribute, or, when its array is over the limit, as NAME0, NAME1, ...
    (np.array_split keeps the whole list's item size in every chunk).
    h5py2: the one attribute as h5py 2 stored Keras's list, an 'S' array."""
    data_npy = np.asarray(data)
    num_chunks = 1
    chunked_data = np.array_split(data_npy, num_chunks)
    while any(x.nbytes > limit for x in chunked_data):
        num_chunks += 1
        chunked_data = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for chunk_id, chunk_data in enumerate(chunked_data):
            group.attrs["%s%d" % (name, chunk_id)] = chunk_data
    else:
        group.attrs[name] = data_npy if h5py2 else data
    return num_chunks


def write_layers(root, layers, keras1=False, h5py2=True, skip_group=None,
                 skip_dataset=None, limits=None, deflate=None):
    """Keras's save_weights_to_hdf5_group into root (the file or
    /model_weights). layers: as layer_weights() gives; keras1: no
    version attributes and no top-level group, as Keras 1 wrote; h5py2: see
    save_attributes, and the versions as fixed-length strings; skip_group,
    skip_dataset, deflate: the broken files' faults; limits: {attribute
    owner: limit} for write_split_names. Returns {owner: chunks written}."""
    limits = limits or {}
    splits = {}
    splits["/"] = save_attributes(root, "layer_names",
                                  [n.encode("utf8") for n, _ in layers],
                                  limits.get("/", HDF5_OBJECT_HEADER_LIMIT), h5py2)
    if not keras1:
        root.attrs["backend"] = np.bytes_(BACKEND) if h5py2 else BACKEND
        root.attrs["keras_version"] = np.bytes_(KERAS_VERSION) if h5py2 else KERAS_VERSION
    # Keras sorts the groups by name "to avoid prefix issues"
    for name, weights in sorted(layers, key=lambda lw: lw[0]):
        if name == skip_group:
            continue
        g = root.create_group(name)
        splits[name] = save_attributes(g, "weight_names",
                                       [w.encode("utf8") for w, _ in weights],
                                       limits.get(name, HDF5_OBJECT_HEADER_LIMIT), h5py2)
        for wname, value in weights:
            if wname == skip_dataset:
                continue
            if wname == deflate:
                g.create_dataset(wname, data=value, chunks=value.shape, compression="gzip")
            else:
                dset = g.create_dataset(wname, value.shape, dtype=value.dtype)
                dset[:] = value
    if not keras1:
        save_attributes(root.create_group("top_level_model_weights"), "weight_names", [],
                        h5py2=h5py2)
    return splits


def layer_weights(values, keras1=False):
    """[(layer name, [(weight name, array)])] in the model's order."""
    return [(name, list(zip(keras1_names(name, k1) if keras1 else keras2_names(name, k2),
                            values[name])))
            for name, k2, k1, _, _ in LAYERS]


# ---- manifests -------------------------------------------------------------


def array_line(name, value):
    """value: the float32 array the reader gives, None for a null dataspace."""
    if value is None:
        return "array %s 0 count 0 sum 0.0 values" % name
    flat = np.asarray(value, dtype=np.float32).ravel()
    total = 0.0
    for v in flat:            # in order, in double: as the C test sums
        total += float(v)
    dims = "".join(" %d" % d for d in value.shape)
    return "array %s %d%s count %d sum %r values%s" % (
        name, len(value.shape), dims, flat.size, total,
        "".join(" %r" % float(v) for v in flat))


def write_manifest(path, fmt, keras_version, backend, layers):
    lines = ["# written by tests/make_keras_fixtures.py: what keras_weights_read gives for %s"
             % os.path.basename(path).replace(".txt", ".h5"),
             "format %d" % fmt,
             "keras_version %s" % (keras_version.decode() if keras_version else "-"),
             "backend %s" % (backend.decode() if backend else "-")]
    for name, weights in layers:
        lines.append("layer %s %d" % (name, len(weights)))
        lines += [array_line(w, v) for w, v in weights]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def out(name):
    return os.path.join(OUT_DIR, name)


# ---- the good files --------------------------------------------------------


def write_keras2_notop(values):
    lw = layer_weights(values)
    with h5py.File(out("keras2_notop.h5"), "w") as f:
        write_layers(f, lw)
    write_manifest(out("keras2_notop.txt"), 2, KERAS_VERSION, BACKEND, lw)


def write_keras1_notop(values):
    lw = layer_weights(values, keras1=True)
    with h5py.File(out("keras1_notop.h5"), "w") as f:
        write_layers(f, lw, keras1=True)
    write_manifest(out("keras1_notop.txt"), 2, None, None, lw)


def write_keras2_model(values):
    """model.save('x.h5') of a compiled model, today (h5py 3): the
    configuration and the versions on the root, the weights under
    /model_weights (which repeats the versions), the optimizer's under
    /optimizer_weights."""
    lw = layer_weights(values)
    with h5py.File(out("keras2_model.h5"), "w") as f:
        f.attrs["backend"] = BACKEND
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = b'{"class_name": "Functional", "config": {"name": "tiny"}}'
        f.attrs["training_config"] = b'{"loss": "categorical_crossentropy"}'
        write_layers(f.create_group("model_weights"), lw, h5py2=False)
        opt = f.create_group("optimizer_weights")
        save_attributes(opt, "weight_names", [b"Adam/iter:0"], h5py2=False)
        opt.create_dataset("Adam/iter:0", data=np.int64(2))
    write_manifest(out("keras2_model.txt"), 2, KERAS_VERSION, BACKEND, lw)


def write_split_names(values):
    """Keras splits a name list over 64512 bytes as NAME0, NAME1, ... A
    real split needs hundreds of layers with long names, each with its
    group (about 260 layers of 250-byte names: hundreds of KB), so this runs
    Keras's own splitting rule (save_attributes above) with the limit
    lowered to a few dozen bytes: the attributes are those Keras writes for
    a big model, each chunk an 'S' array of the whole list's item size,
    only shorter. The file holds three of the layers; layer_names and
    batch_normalization's weight_names are split, and the script checks
    that they are."""
    keep = ("input_1", "block1_conv1", "batch_normalization")
    lw = [(n, w) for n, w in layer_weights(values) if n in keep]
    with h5py.File(out("split_names.h5"), "w") as f:
        splits = write_layers(f, lw, limits={"/": 20, "batch_normalization": 80})
        assert splits["/"] == 3 and "layer_names" not in f.attrs, splits
        assert splits["batch_normalization"] == 2, splits
        assert splits["block1_conv1"] == 1
    write_manifest(out("split_names.txt"), 2, KERAS_VERSION, BACKEND, lw)


def write_keras3_weights(values):
    """Keras 3's model.save_weights('x.weights.h5') (saving_lib with
    H5IOStore): every saveable object gets a group PATH/vars holding its
    variables as datasets "0", "1", ...; the model's own /vars; its layers
    under /layers/, each named by its class in snake case and numbered
    within its class (conv2d, conv2d_1), never by the layer's name. The
    reader refuses this layout; the file is the first three layers."""
    with h5py.File(out("keras3_weights.h5"), "w") as f:
        f.create_group("vars")
        for name, _, _, k3, _ in LAYERS[:4]:
            g = f.create_group("layers/" + k3).create_group("vars")
            for i, a in enumerate(values[name]):
                g[str(i)] = a


def write_other_writers():
    """Not Keras's own writing but what a reader meets from other tools:
    name lists as variable-length strings (h5py's form for a list of str),
    an empty weight_names with a null dataspace (h5py.Empty), a layer
    group with no weight_names (Keras reads it as empty), a float64 kernel
    and a float16 bias (layers built with dtype=), an int32 rank-0 scalar,
    a dataset with a null dataspace (no values)."""
    rng = np.random.default_rng(SEED + 5)
    kernel = rng.standard_normal((3, 2))            # float64
    bias = rng.standard_normal((2,)).astype(np.float16)
    count = np.int32(7)
    with h5py.File(out("other_writers.h5"), "w") as f:
        f.attrs["layer_names"] = ["input_1", "flatten", "dropout", "dense", "counter",
                                  "placeholder"]
        f.attrs["backend"] = "jax"
        f.attrs["keras_version"] = "2.15.0"
        f.create_group("input_1").attrs["weight_names"] = []
        f.create_group("flatten").attrs["weight_names"] = h5py.Empty("S1")
        f.create_group("dropout")
        g = f.create_group("dense")
        g.attrs["weight_names"] = ["dense/kernel:0", "dense/bias:0"]
        g["dense/kernel:0"] = kernel
        g["dense/bias:0"] = bias
        g = f.create_group("counter")
        g.attrs["weight_names"] = ["count:0"]
        g["count:0"] = count
        g = f.create_group("placeholder")
        g.attrs["weight_names"] = ["none:0"]
        g["none:0"] = h5py.Empty("<f4")
    # the reader's floats: HDF5 rounds float64 to nearest, as numpy does
    lw = [("input_1", []), ("flatten", []), ("dropout", []),
          ("dense", [("dense/kernel:0", kernel.astype(np.float32)),
                     ("dense/bias:0", bias.astype(np.float32))]),
          ("counter", [("count:0", np.asarray(count, dtype=np.float32))]),
          ("placeholder", [("none:0", None)])]
    write_manifest(out("other_writers.txt"), 2, b"2.15.0", b"jax", lw)


# ---- the broken files ------------------------------------------------------


def write_broken(values):
    # the two conv layers are enough to break (and keep the files small)
    lw = [(n, w) for n, w in layer_weights(values) if n.startswith("block1_conv")]
    with h5py.File(out("missing_layer.h5"), "w") as f:
        write_layers(f, lw, skip_group="block1_conv2")
    with h5py.File(out("missing_weight.h5"), "w") as f:
        write_layers(f, lw, skip_dataset="block1_conv2/bias:0")
    with open(out("not_hdf5.h5"), "w") as f:
        f.write("block1_conv1/kernel:0 is not here: this is a text file\n")
    with h5py.File(out("unrelated.h5"), "w") as f:
        f.attrs["title"] = np.bytes_(b"measurements")
        f["temperature"] = np.arange(4, dtype=np.float32)
    with open(out("keras2_notop.h5"), "rb") as f:
        whole = f.read()
    with open(out("truncated.h5"), "wb") as f:
        f.write(whole[:len(whole) // 2])

    # A deflated dataset whose compressed bytes are garbage: the file opens
    # and its names read, the dataset's read fails in the filter.
    path = out("corrupt_dataset.h5")
    with h5py.File(path, "w") as f:
        write_layers(f, lw[1:], deflate="block1_conv2/kernel:0")
        info = f["block1_conv2/block1_conv2/kernel:0"].id.get_chunk_info(0)
        offset, size = info.byte_offset, info.size
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * size)

    with h5py.File(out("rank5.h5"), "w") as f:
        kernel = np.ones((1, 1, 1, 2, 2), dtype=np.float32)
        write_layers(f, [("conv3d", [("conv3d/kernel:0", kernel)])])


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    values = make_values()
    write_keras2_notop(values)
    write_keras1_notop(values)
    write_keras2_model(values)
    write_split_names(values)
    write_keras3_weights(values)
    write_other_writers()
    write_broken(values)


if __name__ == "__main__":
    main()
