/* test_pretrained: each pretrained base, given a Keras weights file,
 * computes what Keras would with those weights. tests/make_base_fixtures.py
 * writes the four bases a second time in PyTorch from keras.applications'
 * definitions, at reduced widths, draws their weights, saves them as Keras's
 * save_weights would (tests/fixtures/bases/BASE.h5, Keras's names, HWIO
 * kernels) and runs them in float64 on the first 4 test images of
 * Fashion-MNIST (tests/fixtures/bases/expected.bin). Here each base is
 * built from a trial, loaded by pretrained_load, run in inference, and its
 * output (what "flatten" reads) and some inner layers compared with
 * PyTorch's; every Keras layer must be one of ours with Keras's output
 * shape. Then the loader's refusals, each one line naming the file: a
 * missing file, another base's file (each way round), a file of another
 * width. */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "config/trial.h"
#include "core/text_pool.h"
#include "data/data.h"
#include "fixture.h"
#include "nn/net.h"
#include "store/keras_weights.h"
#include "testing.h"
#include "train/pretrained.h"

#define DIR "tests/fixtures/bases/"
#define FIXTURE DIR "expected.bin"
#define MNIST "/usr/share/datasets/fashion-mnist"
#define BATCH 4
#define ERR_SIZE 1024

/* The largest |ours - torch| over a tensor, as a fraction of its largest
 * |torch|. Ours is float32, the reference float64 (stored as float32: 6e-8
 * of itself). A deep random net magnifies the rounding of every layer, so
 * the yardstick is PyTorch's own float32 forward of the same weights,
 * which the fixture records (BASE/float32_error): 5e-7 and 1e-6 for the
 * VGGs, 1.3e-5 for InceptionV3 and 1.8e-5 for ResNet152V2 after their
 * 150 layers (make_base_fixtures.py draws the weights so that it stays
 * under 3e-5). Ours rounds differently (its own summation orders and conv
 * algorithms) and measures 1e-6, 2e-6, 3e-5 and 1.6e-5 (printed below);
 * 1e-4 allows three times that. Faults move the tensors far more: a single
 * bias 1% off by 5e-4, InceptionV3's epsilon 1.001e-3 by 1.6e-3, the caffe
 * means in RGB order by 0.1, a transposed kernel by 0.6 or more (the
 * script's docstring lists what was tried); random weights by about 1. */
#define TOLERANCE 1e-4

static fixture_file *fixture;
static dataset data;
static char scratch[64];

static const char *const bases[] = { "vgg16", "vgg19", "inception_v3", "resnet152_v2" };
#define N_BASES ((int)(sizeof bases / sizeof *bases))

static const fixture_tensor *need(const char *format, ...) __attribute__((format(printf, 1, 2)));

static const fixture_tensor *need(const char *format, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, format);
    vsnprintf(name, sizeof name, format, ap);
    va_end(ap);
    const fixture_tensor *t = fixture_find(fixture, name);
    if (!t) {
        fprintf(stderr, "%s: no tensor %s\n", FIXTURE, name);
        exit(1);
    }
    return t;
}

/* The trial of a base as the fixture made it, reading weights_path
 * (width: 0 for the fixture's). */
static trial_settings base_trial(const char *base, const char *weights_path, double width)
{
    trial_settings t;
    trial_defaults(&t);
    snprintf(t.name, sizeof t.name, "pretrained_%s", base);
    t.base = text_pool_intern(base);
    snprintf(t.base_weights, sizeof t.base_weights, "%s", weights_path);
    t.input_size = (int)need("%s/input_size", base)->data[0];
    t.base_width = width > 0 ? width : need("%s/width", base)->data[0];
    t.base_trainable = 0;
    t.n_dense = 0;
    trial_rehash(&t);
    return t;
}

static int layer_named(const net *n, const char *name)
{
    for (int i = 0; i < n->n_layers; i++)
        if (strcmp(n->layers[i].name, name) == 0)
            return i;
    return -1;
}

/* The base's output: the layer "flatten" reads. */
static int base_output(const net *n)
{
    int flatten = layer_named(n, "flatten");
    return flatten < 0 ? -1 : n->layers[flatten].inputs[0];
}

/* A net of t with its random initial weights, then t's file loaded:
 * pretrained_load's return in *rc, its message in err. NULL if t builds
 * no net (err says why). */
static net *loaded_net(const trial_settings *t, pretrained_source *source, int *rc, char *err)
{
    err[0] = '\0';
    net *n = net_new(t, BATCH, err, ERR_SIZE);
    if (!n)
        return NULL;
    net_init(n, 43);
    *rc = pretrained_load(n, t, source, err, ERR_SIZE);
    return n;
}

static void run_test_images(net *n)
{
    memcpy(n->input, data.test.images, sizeof(float) * BATCH * 28 * 28);
    memcpy(n->labels, data.test.labels, BATCH);
    for (int b = 0; b < BATCH; b++)
        n->sample_ids[b] = b;
    forward_mode mode = { .training = 0, .global_batch = BATCH };
    net_forward(n, BATCH, &mode);
}

/* Layer i's output against ref (its first ref->dims[0] images): the
 * largest error as a fraction of max |ref|, NAN for a shape that differs
 * (said in an EXPECT). */
static double relative_error(const net *n, int i, const fixture_tensor *ref, const char *what)
{
    const layer *L = &n->layers[i];
    int same = ref->ndim == 4 && ref->dims[0] <= BATCH && ref->dims[1] == L->out_c &&
               ref->dims[2] == L->out_h && ref->dims[3] == L->out_w;
    EXPECT(same, "%s: ours is %dx%dx%d, torch's %dx%dx%d", what, L->out_c, L->out_h, L->out_w,
           ref->dims[1], ref->dims[2], ref->dims[3]);
    if (!same)
        return NAN;
    const float *ours = n->values[i];
    double scale = 0, worst = 0;
    for (long k = 0; k < ref->size; k++)
        scale = fmax(scale, fabs(ref->data[k]));
    for (long k = 0; k < ref->size; k++) {
        double d = fabs((double)ours[k] - ref->data[k]);
        if (!(d <= worst))   /* a NaN is the worst of all */
            worst = d;
    }
    return scale > 0 ? worst / scale : worst;
}

/* The base output and the inner layers the fixture keeps, each within
 * TOLERANCE; prints the largest errors. */
static void expect_matches_torch(const net *n, const char *base, const char *file)
{
    char prefix[64], what[160], worst_inner[LAYER_NAME_MAX] = "-";
    double inner = 0;
    snprintf(prefix, sizeof prefix, "%s/at/", base);
    for (int k = 0; k < fixture->count; k++) {
        const fixture_tensor *ref = &fixture->tensors[k];
        if (strncmp(ref->name, prefix, strlen(prefix)) != 0)
            continue;
        const char *layer_name = ref->name + strlen(prefix);
        int i = layer_named(n, layer_name);
        EXPECT(i >= 0, "%s: no layer %s", base, layer_name);
        if (i < 0)
            continue;
        snprintf(what, sizeof what, "%s (%s) %s", base, file, layer_name);
        double e = relative_error(n, i, ref, what);
        EXPECT(e <= TOLERANCE, "%s: largest error %.3g of max |torch|, over %.0e", what, e,
               TOLERANCE);
        if (!(e <= inner)) {
            inner = e;
            snprintf(worst_inner, sizeof worst_inner, "%s", layer_name);
        }
    }
    int out = base_output(n);
    EXPECT(out >= 0, "%s: no flatten layer", base);
    if (out < 0)
        return;
    snprintf(what, sizeof what, "%s (%s) base output %s", base, file, n->layers[out].name);
    double e = relative_error(n, out, need("%s/out", base), what);
    EXPECT(e <= TOLERANCE, "%s: largest error %.3g of max |torch|, over %.0e", what, e, TOLERANCE);
    printf("  %s (%s): largest error %.2g of max |torch| at the output %s %dx%dx%d, %.2g at "
           "the inner layers (%s); torch's float32 %.2g\n", base, file, e, n->layers[out].name,
           n->layers[out].out_c, n->layers[out].out_h, n->layers[out].out_w, inner, worst_inner,
           need("%s/float32_error", base)->data[0]);
}

static long long file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Loads file into base's net and compares with PyTorch. */
static void expect_base_computes_torchs(const char *base, const char *file)
{
    char path[256], err[ERR_SIZE];
    snprintf(path, sizeof path, DIR "%s", file);
    trial_settings t = base_trial(base, path, 0);
    pretrained_source source;
    int rc = -1;
    net *n = loaded_net(&t, &source, &rc, err);
    EXPECT(n != NULL, "%s builds: %s", base, err);
    if (!n)
        return;
    EXPECT(rc == 0, "%s loads %s: %s", base, path, err);
    char check_err[ERR_SIZE] = "";
    EXPECT(pretrained_check(&t, check_err, sizeof check_err) == rc, "%s: pretrained_check of %s "
           "disagrees with pretrained_load: %s", base, path, check_err);
    EXPECT(rc != 0 || (strcmp(source.path, path) == 0 && source.bytes == file_bytes(path)),
           "%s: source %s of %lld bytes, the file is %s of %lld", base, source.path,
           source.bytes, path, file_bytes(path));
    if (rc == 0) {
        run_test_images(n);
        expect_matches_torch(n, base, file);
    }
    net_free(n);
}

static void test_fixture_images_are_what_dataset_load_gives(void)
{
    const fixture_tensor *images = need("images");
    EXPECT(images->size == BATCH * 28 * 28 && data.test.count == BATCH, "4 images of 28 x 28");
    long differ = 0;
    for (long k = 0; k < images->size && k < BATCH * 28 * 28; k++)
        differ += images->data[k] != data.test.images[k];
    EXPECT(differ == 0, "%ld pixels differ from the fixture's", differ);
}

/* Every layer the Keras file names is ours, with the output shape PyTorch
 * gave it (the fixture's BASE/shapes, in layer_names' order), and the base
 * has no layer Keras lacks. */
static void test_every_keras_layer_is_ours_with_its_shape(void)
{
    for (int b = 0; b < N_BASES; b++) {
        char path[256], err[ERR_SIZE] = "";
        snprintf(path, sizeof path, DIR "%s.h5", bases[b]);
        keras_weights *w = keras_weights_read(path, err, sizeof err);
        trial_settings t = base_trial(bases[b], path, 0);
        net *n = net_layout(&t, err, sizeof err);
        EXPECT(w && n, "%s: %s", bases[b], err);
        if (!w || !n) {
            keras_weights_free(w);
            net_free(n);
            continue;
        }
        const fixture_tensor *shapes = need("%s/shapes", bases[b]);
        EXPECT(shapes->dims[0] == w->n_layers && shapes->dims[1] == 3,
               "%s: %d shapes for %d layers", bases[b], shapes->dims[0], w->n_layers);
        int wrong = 0;
        for (int i = 0; i < w->n_layers && i < shapes->dims[0]; i++) {
            const float *s = shapes->data + 3 * i;
            int k = layer_named(n, w->layers[i].name);
            const layer *L = k >= 0 ? &n->layers[k] : NULL;
            int same = L && L->out_c == (int)s[0] && L->out_h == (int)s[1] && L->out_w == (int)s[2];
            if (!same && wrong++ < 5)
                EXPECT(same, "%s: Keras's %s is %.0fx%.0fx%.0f, ours %s %dx%dx%d", bases[b],
                       w->layers[i].name, s[0], s[1], s[2], L ? "is" : "(none)",
                       L ? L->out_c : 0, L ? L->out_h : 0, L ? L->out_w : 0);
        }
        EXPECT(wrong == 0, "%s: %d of %d Keras layers missing or of another shape", bases[b],
               wrong, w->n_layers);
        const int ours = layer_named(n, "flatten");
        EXPECT(ours == w->n_layers, "%s: %d layers before flatten, Keras's base has %d", bases[b],
               ours, w->n_layers);
        const layer *out = base_output(n) >= 0 ? &n->layers[base_output(n)] : NULL;
        printf("  %s at %d pixels, width %g: %d Keras layers, each ours with its shape; "
               "output %s %dx%dx%d\n", bases[b], t.input_size, t.base_width, w->n_layers,
               out ? out->name : "?", out ? out->out_c : 0, out ? out->out_h : 0,
               out ? out->out_w : 0);
        keras_weights_free(w);
        net_free(n);
    }
}

static void test_vgg16_from_keras_file_computes_torchs(void)
{
    expect_base_computes_torchs("vgg16", "vgg16.h5");
}

static void test_vgg19_from_keras_file_computes_torchs(void)
{
    expect_base_computes_torchs("vgg19", "vgg19.h5");
}

static void test_inception_v3_from_keras_file_computes_torchs(void)
{
    expect_base_computes_torchs("inception_v3", "inception_v3.h5");
}

static void test_resnet152_v2_from_keras_file_computes_torchs(void)
{
    expect_base_computes_torchs("resnet152_v2", "resnet152_v2.h5");
}

/* tf.keras names InceptionV3's layers from 0 (conv2d, conv2d_1, ...,
 * conv2d_93), Keras 2.0 from 1 (conv2d_1 ... conv2d_94, as ours): the same
 * weights must land in the same layers, matched by rank within the class,
 * although conv2d_1 names a layer in both. */
static void test_inception_v3_from_tf_keras_zero_based_names_computes_torchs(void)
{
    expect_base_computes_torchs("inception_v3", "inception_v3_tf_keras.h5");
}

/* The comparison can fail: the nets with their random initial weights
 * (nothing loaded) are far from PyTorch's outputs. */
static void test_random_weights_are_far_from_torchs(void)
{
    for (int b = 0; b < N_BASES; b++) {
        char err[ERR_SIZE];
        trial_settings t = base_trial(bases[b], "none", 0);
        net *n = net_new(&t, BATCH, err, sizeof err);
        EXPECT(n != NULL, "%s builds: %s", bases[b], err);
        if (!n)
            continue;
        net_init(n, 43);
        run_test_images(n);
        int out = base_output(n);
        double e = out >= 0 ? relative_error(n, out, need("%s/out", bases[b]), bases[b]) : NAN;
        EXPECT(e > 1000 * TOLERANCE, "%s with random weights: error %.3g of max |torch|", bases[b],
               e);
        net_free(n);
    }
}

/* A fault's message is one line naming the file: these strings in it. */
static void expect_refusal(const char *base, const char *path, double width,
                           const char *const *says)
{
    char err[ERR_SIZE];
    trial_settings t = base_trial(base, path, width);
    int rc = 0;
    net *n = loaded_net(&t, NULL, &rc, err);
    EXPECT(n != NULL, "%s builds: %s", base, err);
    if (!n)
        return;
    EXPECT(rc == -1, "%s refuses %s (width %g): returned %d", base, path, t.base_width, rc);
    EXPECT(strchr(err, '\n') == NULL && err[0], "one line: \"%s\"", err);
    EXPECT(strstr(err, path) != NULL, "the message names %s: \"%s\"", path, err);
    for (int k = 0; says[k]; k++)
        EXPECT(strstr(err, says[k]) != NULL, "the message says %s: \"%s\"", says[k], err);
    /* rank 0's check before training, without a net's buffers, says the same */
    char check_err[ERR_SIZE] = "";
    EXPECT(pretrained_check(&t, check_err, sizeof check_err) == -1 && strcmp(check_err, err) == 0,
           "pretrained_check: \"%s\", pretrained_load: \"%s\"", check_err, err);
    printf("  %s: %s\n", base, err);
    net_free(n);
}

static void test_missing_file_names_it_and_the_keras_file(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/no_such_weights.h5", scratch);
    const char *says[] = { "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "VGG16", NULL };
    expect_refusal("vgg16", path, 0, says);
    const char *says_resnet[] = { "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5", NULL };
    expect_refusal("resnet152_v2", path, 0, says_resnet);
}

/* VGG16's layers are all in VGG19's file with their shapes: the fault is
 * the layers of VGG19's that VGG16 has no place for (block3_conv4 the
 * first). The other way round a layer VGG19 needs is missing. */
static void test_another_bases_file_is_refused_naming_the_layer(void)
{
    const char *extra[] = { "block3_conv4", "no place", NULL };
    expect_refusal("vgg16", DIR "vgg19.h5", 0, extra);
    const char *missing[] = { "block3_conv4", "vgg19", NULL };
    expect_refusal("vgg19", DIR "vgg16.h5", 0, missing);
    const char *resnet[] = { "conv1_conv", NULL };
    expect_refusal("resnet152_v2", DIR "inception_v3.h5", 0, resnet);
}

/* The file was made at width 1/32 (block1_conv1: 2 filters); a net at
 * 1/16 has 4. */
static void test_file_of_another_width_is_refused_naming_layer_and_both_shapes(void)
{
    const char *vgg[] = { "block1_conv1", "3x3x3x2", "3x3x3x4", NULL };
    expect_refusal("vgg16", DIR "vgg16.h5", 1.0 / 16, vgg);
    /* InceptionV3's first conv at 1/16: 32/16 = 2 filters, the file's 1 */
    const char *inception[] = { "conv2d_1", "3x3x3x1", "3x3x3x2", NULL };
    expect_refusal("inception_v3", DIR "inception_v3.h5", 1.0 / 16, inception);
}

int main(void)
{
    char err[ERR_SIZE];
    fixture = fixture_load(FIXTURE);
    if (!fixture)
        return 1;
    if (dataset_load(&data, MNIST, 0.1, 10, BATCH, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (testing_make_dir(scratch, "pretrained") != 0) {
        fprintf(stderr, "cannot make a scratch directory\n");
        return 1;
    }
    RUN_TEST(test_fixture_images_are_what_dataset_load_gives);
    RUN_TEST(test_every_keras_layer_is_ours_with_its_shape);
    RUN_TEST(test_vgg16_from_keras_file_computes_torchs);
    RUN_TEST(test_vgg19_from_keras_file_computes_torchs);
    RUN_TEST(test_inception_v3_from_keras_file_computes_torchs);
    RUN_TEST(test_resnet152_v2_from_keras_file_computes_torchs);
    RUN_TEST(test_inception_v3_from_tf_keras_zero_based_names_computes_torchs);
    RUN_TEST(test_random_weights_are_far_from_torchs);
    RUN_TEST(test_missing_file_names_it_and_the_keras_file);
    RUN_TEST(test_another_bases_file_is_refused_naming_the_layer);
    RUN_TEST(test_file_of_another_width_is_refused_naming_layer_and_both_shapes);
    testing_remove_dir(scratch);
    dataset_free(&data);
    fixture_free(fixture);
    return testing_finish("test_pretrained");
}
