/* winograd: 3x3 stride-1 'same' convolution by Winograd's minimal
 * filtering F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016). Each 4x4 output tile comes from a
 * 6x6 input patch with 36 multiplications per channel pair instead of 144:
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * The 36 element-wise products over all channel pairs are 36 independent
 * matrix products, U[p] (c_out x c_in) times V[p] (c_in x tiles), run as
 * OpenBLAS sgemm calls. Backward runs the adjoint of every step: with
 * dM = A dY A^T per tile,
 *   dg = G^T [ sum over tiles dM (.) (B^T d B) ] G        (kernels)
 *   dd = B [ sum over c_out U (.) dM ] B^T, added per patch (input)
 * so the input gradient reuses the forward's transformed kernels U.
 * Rounding: the transforms' constants (up to 8 and 1/24) make results
 * differ from the reference by about 1e-5 of the layer's scale
 * (tests/test_conv2d.c states the bound).
 * Layouts, with T = B x tiles tile columns (tile t = b*tiles + ty*tiles_x + tx):
 *   V[p][c][t]   input patches transformed, p the 36 points (kept in the
 *                layer's cache from forward to backward)
 *   U[p][co][ci] kernels transformed (the layer's cache)
 *   M[p][co][t]  products, before the output transform
 * Transforms work on LANES tiles (or kernels) at once, so every 6x6
 * arithmetic step is one vector operation over the lanes: the compiler
 * vectorises the lane loops for the CPU it runs on (target_clones). */
#include "nn/layers/conv2d_kernels.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

enum { TILE = 4, ALPHA = 6, POINTS = ALPHA * ALPHA, LANES = 16 };

/* Lavin and Gray's matrices for F(4x4, 3x3), interpolation points 0, 1,
 * -1, 2, -2 and infinity:
 *   B^T = [ 4  0 -5  0  1  0 ]   G = [  1/4     0     0  ]   A^T = [ 1 1  1 1  1 0 ]
 *         [ 0 -4 -4  1  1  0 ]       [ -1/6  -1/6  -1/6  ]         [ 0 1 -1 2 -2 0 ]
 *         [ 0  4 -4 -1  1  0 ]       [ -1/6   1/6  -1/6  ]         [ 0 1  1 4  4 0 ]
 *         [ 0 -2 -1  2  1  0 ]       [  1/24  1/12  1/6  ]         [ 0 1 -1 8 -8 1 ]
 *         [ 0  2 -1 -2  1  0 ]       [  1/24 -1/12  1/6  ]
 *         [ 0  4  0 -5  0  1 ]       [  0     0     1    ]                            */

/* The five transforms, each a 1-D pass applied to the columns and then
 * the rows of a tile. Every element is a vector of LANES floats: element
 * k of the input is in[k * is .. k * is + LANES), of the output
 * out[k * os ..]. Written out term by term from the matrices above, so
 * the compiler sees only adds and multiplies by constants. */
#define LANE_LOOP _Pragma("omp simd") for (int l = 0; l < LANES; l++)

static inline __attribute__((always_inline)) void pass_BT(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is, *i3 = in + 3 * is;
    const float *i4 = in + 4 * is, *i5 = in + 5 * is;
    LANE_LOOP {
        o[l] = 4 * i0[l] - 5 * i2[l] + i4[l];
        o[os + l] = -4 * (i1[l] + i2[l]) + i3[l] + i4[l];
        o[2 * os + l] = 4 * (i1[l] - i2[l]) - i3[l] + i4[l];
        o[3 * os + l] = 2 * (i3[l] - i1[l]) - i2[l] + i4[l];
        o[4 * os + l] = 2 * (i1[l] - i3[l]) - i2[l] + i4[l];
        o[5 * os + l] = 4 * i1[l] - 5 * i3[l] + i5[l];
    }
}

/* B = (B^T)^T: the adjoint of pass_BT, for the input gradient. */
static inline __attribute__((always_inline)) void pass_B(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is, *i3 = in + 3 * is;
    const float *i4 = in + 4 * is, *i5 = in + 5 * is;
    LANE_LOOP {
        o[l] = 4 * i0[l];
        o[os + l] = 4 * (i2[l] - i1[l]) + 2 * (i4[l] - i3[l]) + 4 * i5[l];
        o[2 * os + l] = -5 * i0[l] - 4 * (i1[l] + i2[l]) - i3[l] - i4[l];
        o[3 * os + l] = i1[l] - i2[l] + 2 * (i3[l] - i4[l]) - 5 * i5[l];
        o[4 * os + l] = i0[l] + i1[l] + i2[l] + i3[l] + i4[l];
        o[5 * os + l] = i5[l];
    }
}

static inline __attribute__((always_inline)) void pass_G(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is;
    LANE_LOOP {
        const float even = i0[l] + i2[l];
        o[l] = i0[l] * (1.0f / 4);
        o[os + l] = -(even + i1[l]) * (1.0f / 6);
        o[2 * os + l] = -(even - i1[l]) * (1.0f / 6);
        o[3 * os + l] = i0[l] * (1.0f / 24) + i1[l] * (1.0f / 12) + i2[l] * (1.0f / 6);
        o[4 * os + l] = i0[l] * (1.0f / 24) - i1[l] * (1.0f / 12) + i2[l] * (1.0f / 6);
        o[5 * os + l] = i2[l];
    }
}

static inline __attribute__((always_inline)) void pass_AT(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is, *i3 = in + 3 * is;
    const float *i4 = in + 4 * is, *i5 = in + 5 * is;
    LANE_LOOP {
        const float s12 = i1[l] + i2[l], d12 = i1[l] - i2[l];
        const float s34 = i3[l] + i4[l], d34 = i3[l] - i4[l];
        o[l] = i0[l] + s12 + s34;
        o[os + l] = d12 + 2 * d34;
        o[2 * os + l] = s12 + 4 * s34;
        o[3 * os + l] = d12 + 8 * d34 + i5[l];
    }
}

/* A = (A^T)^T: 4 values to 6, the adjoint of pass_AT. */
static inline __attribute__((always_inline)) void pass_A(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is, *i3 = in + 3 * is;
    LANE_LOOP {
        const float e = i0[l] + i2[l], f = i1[l] + i3[l];
        const float e4 = i0[l] + 4 * i2[l], f8 = 2 * i1[l] + 8 * i3[l];
        o[l] = i0[l];
        o[os + l] = e + f;
        o[2 * os + l] = e - f;
        o[3 * os + l] = e4 + f8;
        o[4 * os + l] = e4 - f8;
        o[5 * os + l] = i3[l];
    }
}

/* G^T: 6 values to 3, the adjoint of pass_G. */
static inline __attribute__((always_inline)) void pass_GT(float *restrict o, int os, const float *restrict in, int is)
{
    const float *i0 = in, *i1 = in + is, *i2 = in + 2 * is, *i3 = in + 3 * is;
    const float *i4 = in + 4 * is, *i5 = in + 5 * is;
    LANE_LOOP {
        const float s12 = i1[l] + i2[l], s34 = i3[l] + i4[l];
        o[l] = i0[l] * (1.0f / 4) - s12 * (1.0f / 6) + s34 * (1.0f / 24);
        o[os + l] = (i2[l] - i1[l]) * (1.0f / 6) + (i3[l] - i4[l]) * (1.0f / 12);
        o[2 * os + l] = -s12 * (1.0f / 6) + s34 * (1.0f / 6) + i5[l];
    }
}

/* out (m x m lanes) = X in X^T for in (n x n lanes), X the m x n pass
 * PASS. A macro, not a function taking a pointer, so each pass is inlined
 * into the clone compiled for the running CPU. */
#define TRANSFORM_2D(out, in, PASS, m, n) do { \
        float half_[ALPHA * ALPHA * LANES];   /* X in: m x n */ \
        for (int j = 0; j < (n); j++)           /* columns: element k at row k */ \
            PASS(half_ + j * LANES, (n) * LANES, (in) + j * LANES, (n) * LANES); \
        for (int i = 0; i < (m); i++)           /* rows */ \
            PASS((out) + i * (m) * LANES, LANES, half_ + i * (n) * LANES, LANES); \
    } while (0)

/* The per-chunk work, compiled for each vector ISA (target_clones). */
VECTOR_CLONES static void kernel_2d(float *o, const float *g) { TRANSFORM_2D(o, g, pass_G, ALPHA, 3); }
VECTOR_CLONES static void kernel_adjoint_2d(float *o, const float *u) { TRANSFORM_2D(o, u, pass_GT, 3, ALPHA); }

/* n <= LANES floats. A full vector's copy has a constant size, which the
 * compiler turns into one load and store instead of a call to memcpy. */
static inline void copy_lanes(float *restrict dst, const float *restrict src, int n)
{
    if (n == LANES)
        memcpy(dst, src, sizeof(float) * LANES);
    else
        memcpy(dst, src, sizeof(float) * (size_t)n);
}

/* A layer's tiles. Each channel's B planes are copied into a canvas,
 * one thread's scratch, where every tile sits whole: the input canvas has
 * the zero border and is (4 tiles_y + 2) x (4 tiles_x + 2) per image, the
 * output canvas 4 tiles_y x 4 tiles_x. A chunk of LANES tiles (consecutive
 * t, across images, so a 7x7 map's four tiles per image still fill every
 * lane) is then read and written through a table of where each tile
 * starts in the canvas: vector gathers and scatters, no bounds checks. */
typedef struct {
    int B, C, H, W;
    int tiles_x, tiles_y, tiles;   /* per image */
    int T;                         /* B x tiles */
    int PH, PW;                    /* input canvas plane (with border) */
    int OH, OW;                    /* output canvas plane */
    int threads;                   /* canvases in the scratch */
    size_t canvas;                 /* floats of one thread's canvas, with the spill area */
} tiling;

static tiling tiling_of(int B, int C, int H, int W)
{
    tiling g = { .B = B, .C = C, .H = H, .W = W };
    g.tiles_x = (W + TILE - 1) / TILE;
    g.tiles_y = (H + TILE - 1) / TILE;
    g.tiles = g.tiles_x * g.tiles_y;
    g.T = B * g.tiles;
    g.PH = TILE * g.tiles_y + 2;
    g.PW = TILE * g.tiles_x + 2;
    g.OH = TILE * g.tiles_y;
    g.OW = TILE * g.tiles_x;
    g.threads = omp_get_max_threads();
    /* the spill area takes the stores of unused lanes: a whole patch */
    g.canvas = (size_t)B * g.PH * g.PW + (size_t)ALPHA * g.PW + ALPHA;
    return g;
}

/* Scratch: the two tile tables (ints) and one canvas per thread. */
static size_t scratch_floats(const tiling *g)
{
    return 2 * (size_t)g->T + LANES + (size_t)g->threads * g->canvas;
}

typedef struct {
    int *patch_at;   /* T: tile t's 6x6 patch in the input canvas */
    int *tile_at;    /* T: tile t's 4x4 block in the output canvas */
    float *canvases;
} tile_tables;

static tile_tables tables_in(float *scratch, const tiling *g)
{
    tile_tables tt = { (int *)scratch, (int *)scratch + g->T, scratch + 2 * (size_t)g->T + LANES };
    for (int t = 0; t < g->T; t++) {
        const int b = t / g->tiles, ty = t % g->tiles / g->tiles_x, tx = t % g->tiles_x;
        tt.patch_at[t] = (b * g->PH + TILE * ty) * g->PW + TILE * tx;
        tt.tile_at[t] = (b * g->OH + TILE * ty) * g->OW + TILE * tx;
    }
    return tt;
}

/* The table entries of chunk t0 (n tiles); unused lanes read tile t0's
 * patch and write to `spill`. */
static inline void chunk_index(int idx[LANES], const int *table, int t0, int n, int spill)
{
    for (int l = 0; l < LANES; l++)
        idx[l] = l < n ? table[t0 + l] : spill;
}

static inline int chunk_size(const tiling *g, int t0) { return g->T - t0 < LANES ? g->T - t0 : LANES; }

/* canvas = channel c of every image, with a zero border (input canvas).
 * Only the images' pixels are written: the border stays as it was, so the
 * canvas is zeroed once (first) for all the channels a thread pads. */
static void pad_channel(float *canvas, const float *in, const tiling *g, int c, int first)
{
    if (first)
        memset(canvas, 0, sizeof(float) * (size_t)g->B * g->PH * g->PW);
    for (int b = 0; b < g->B; b++) {
        const float *plane = in + ((size_t)b * g->C + c) * g->H * g->W;
        float *dst = canvas + ((size_t)b * g->PH + 1) * g->PW + 1;
        for (int y = 0; y < g->H; y++)
            memcpy(dst + (size_t)y * g->PW, plane + (size_t)y * g->W, sizeof(float) * g->W);
    }
}

/* canvas = channel c of every image, zero past the edges (output canvas;
 * zeroed when first, as pad_channel). */
static void tile_channel(float *canvas, const float *in, const tiling *g, int c, int first)
{
    if (first)
        memset(canvas, 0, sizeof(float) * (size_t)g->B * g->OH * g->OW);
    for (int b = 0; b < g->B; b++) {
        const float *plane = in + ((size_t)b * g->C + c) * g->H * g->W;
        float *dst = canvas + (size_t)b * g->OH * g->OW;
        for (int y = 0; y < g->H; y++)
            memcpy(dst + (size_t)y * g->OW, plane + (size_t)y * g->W, sizeof(float) * g->W);
    }
}

/* ---- one chunk of LANES tiles (compiled per vector ISA) ------------------- */

/* The n x n blocks at idx (one per lane) to or from lane-major values
 * (element k at values[k * LANES + lane]): a gather, or a scatter that
 * stores or adds. Lanes are distinct tiles, so no two lanes of one store
 * meet. Inlined into each chunk function's clone. */
static inline __attribute__((always_inline)) void gather_blocks(
    float *restrict values, const float *restrict canvas, const int *idx, int n, int stride)
{
    for (int r = 0; r < n; r++)
        for (int q = 0; q < n; q++) {
            const float *at = canvas + r * stride + q;
            LANE_LOOP
                values[(r * n + q) * LANES + l] = at[idx[l]];
        }
}

static inline __attribute__((always_inline)) void scatter_blocks(
    float *restrict canvas, const float *restrict values, const int *idx, int n, int stride,
    int add)
{
    for (int r = 0; r < n; r++)
        for (int q = 0; q < n; q++) {
            float *at = canvas + r * stride + q;
            if (add) {
                LANE_LOOP
                    at[idx[l]] += values[(r * n + q) * LANES + l];
            } else {
                LANE_LOOP
                    at[idx[l]] = values[(r * n + q) * LANES + l];
            }
        }
}

/* v (36 points x lanes) = B^T d B of the patches at idx. */
VECTOR_CLONES
static void input_chunk(float *restrict v, const float *restrict canvas, const int *idx, int PW)
{
    float patch[POINTS * LANES];
    gather_blocks(patch, canvas, idx, ALPHA, PW);
    TRANSFORM_2D(v, patch, pass_BT, ALPHA, ALPHA);
}

/* The patches at idx += B v B^T (v: 36 points x lanes). */
VECTOR_CLONES
static void input_adjoint_chunk(float *restrict canvas, const float *restrict v, const int *idx,
                                int PW)
{
    float patch[POINTS * LANES];
    TRANSFORM_2D(patch, v, pass_B, ALPHA, ALPHA);
    scatter_blocks(canvas, patch, idx, ALPHA, PW, 1);
}

/* The 4x4 blocks at idx = A^T m A (m: 36 points x lanes). */
VECTOR_CLONES
static void output_chunk(float *restrict canvas, const float *restrict m, const int *idx, int OW)
{
    float y[TILE * TILE * LANES];
    TRANSFORM_2D(y, m, pass_AT, TILE, ALPHA);
    scatter_blocks(canvas, y, idx, TILE, OW, 0);
}

/* dm (36 points x lanes) = A dy A^T of the 4x4 blocks at idx. */
VECTOR_CLONES
static void output_adjoint_chunk(float *restrict dm, const float *restrict canvas, const int *idx,
                                 int OW)
{
    float dy[TILE * TILE * LANES];
    gather_blocks(dy, canvas, idx, TILE, OW);
    TRANSFORM_2D(dm, dy, pass_A, ALPHA, TILE);
}

/* plane (H x W) = the canvas plane's top-left H x W, + shift, ReLU'd if asked. */
VECTOR_CLONES
static void crop_plane(float *restrict plane, const float *restrict src, const tiling *g,
                       float shift, int relu)
{
    for (int y = 0; y < g->H; y++) {
        float *restrict dst = plane + (size_t)y * g->W;
        const float *restrict row = src + (size_t)y * g->OW;
        if (relu) {
            #pragma omp simd
            for (int x = 0; x < g->W; x++)
                dst[x] = row[x] + shift > 0.0f ? row[x] + shift : 0.0f;
        } else {
            #pragma omp simd
            for (int x = 0; x < g->W; x++)
                dst[x] = row[x] + shift;
        }
    }
}

/* ---- transforms of whole tensors ----------------------------------------- */

/* The two transforms that read tiles out of a tensor, one channel at a
 * time: out[p][c][t] (36 points) from the tiles of in (B, C, H, W).
 * `patches` reads 6x6 input patches with the zero border (V = B^T d B);
 * otherwise 4x4 output tiles, zero past the edges (dM = A dY A^T). */
static void transform_gathered(float *out, const float *in, const tiling *g, float *scratch,
                               int patches)
{
    const tile_tables tt = tables_in(scratch, g);
    const int *table = patches ? tt.patch_at : tt.tile_at;
    #pragma omp parallel num_threads(g->threads)
    {
    float *canvas = tt.canvases + (size_t)omp_get_thread_num() * g->canvas;
    int first = 1;
    #pragma omp for schedule(static)
    for (int c = 0; c < g->C; c++) {
        if (patches)
            pad_channel(canvas, in, g, c, first);
        else
            tile_channel(canvas, in, g, c, first);
        first = 0;
        for (int t0 = 0; t0 < g->T; t0 += LANES) {
            const int n = chunk_size(g, t0);
            int idx[LANES];
            float v[POINTS * LANES];
            chunk_index(idx, table, t0, n, table[t0]);
            if (patches)
                input_chunk(v, canvas, idx, g->PW);
            else
                output_adjoint_chunk(v, canvas, idx, g->OW);
            for (int p = 0; p < POINTS; p++)
                copy_lanes(out + ((size_t)p * g->C + c) * g->T + t0, v + p * LANES, n);
        }
    }
    }
}

/* V[p][c][t] from in (B, C, H, W), zero padded by one. */
static void transform_input(float *V, const float *in, const tiling *g, float *scratch)
{
    transform_gathered(V, in, g, scratch, 1);
}

/* dM[p][c][t] = A dY A^T per tile of dout (B, C, H, W), zero past the edges. */
static void transform_output_gradient(float *dM, const float *dout, const tiling *g,
                                      float *scratch)
{
    transform_gathered(dM, dout, g, scratch, 0);
}

/* din (B, C, H, W) = the adjoint of transform_input applied to dV: each
 * tile's B dV B^T added into its 6x6 patch (patches overlap by two pixels;
 * the border is dropped). A thread owns whole channels and walks their
 * tiles in order, so the sums are the same on any thread count. */
static void transform_input_adjoint(float *din, const float *dV, const tiling *g, float *scratch)
{
    const tile_tables tt = tables_in(scratch, g);
    const int spill = g->B * g->PH * g->PW;
    #pragma omp parallel for schedule(static) num_threads(g->threads)
    for (int c = 0; c < g->C; c++) {
        float *canvas = tt.canvases + (size_t)omp_get_thread_num() * g->canvas;
        memset(canvas, 0, sizeof(float) * g->canvas);
        for (int t0 = 0; t0 < g->T; t0 += LANES) {
            const int n = chunk_size(g, t0);
            int idx[LANES];
            float v[POINTS * LANES];
            for (int p = 0; p < POINTS; p++) {
                copy_lanes(v + p * LANES, dV + ((size_t)p * g->C + c) * g->T + t0, n);
                for (int l = n; l < LANES; l++)
                    v[p * LANES + l] = 0.0f;
            }
            chunk_index(idx, tt.patch_at, t0, n, spill);
            input_adjoint_chunk(canvas, v, idx, g->PW);
        }
        for (int b = 0; b < g->B; b++) {
            float *plane = din + ((size_t)b * g->C + c) * g->H * g->W;
            const float *src = canvas + ((size_t)b * g->PH + 1) * g->PW + 1;
            for (int y = 0; y < g->H; y++)
                memcpy(plane + (size_t)y * g->W, src + (size_t)y * g->PW, sizeof(float) * g->W);
        }
    }
}

/* out (B, C, H, W) = A^T M A per tile, cropped at the edges, + bias, ReLU'd if asked. */
static void transform_output(float *out, const float *M, const float *bias, int relu,
                             const tiling *g, float *scratch)
{
    const tile_tables tt = tables_in(scratch, g);
    const int spill = g->B * g->OH * g->OW;
    #pragma omp parallel for schedule(static) num_threads(g->threads)
    for (int c = 0; c < g->C; c++) {
        float *canvas = tt.canvases + (size_t)omp_get_thread_num() * g->canvas;
        for (int t0 = 0; t0 < g->T; t0 += LANES) {
            const int n = chunk_size(g, t0);
            int idx[LANES];
            float m[POINTS * LANES];
            for (int p = 0; p < POINTS; p++) {
                copy_lanes(m + p * LANES, M + ((size_t)p * g->C + c) * g->T + t0, n);
                for (int l = n; l < LANES; l++)
                    m[p * LANES + l] = 0.0f;
            }
            chunk_index(idx, tt.tile_at, t0, n, spill);
            output_chunk(canvas, m, idx, g->OW);
        }
        const float shift = bias ? bias[c] : 0.0f;
        for (int b = 0; b < g->B; b++)
            crop_plane(out + ((size_t)b * g->C + c) * g->H * g->W,
                       canvas + (size_t)b * g->OH * g->OW, g, shift, relu);
    }
}


/* U[p][co][ci] = G g G^T for the kernels g of weight (c_out, c_in, 3, 3). */
static void transform_kernels(float *U, const float *weight, int c_out, int c_in)
{
    #pragma omp parallel for schedule(static)
    for (int co = 0; co < c_out; co++) {
        float kernel[9 * LANES], u[POINTS * LANES];
        for (int q0 = 0; q0 < c_in; q0 += LANES) {
            const int n = c_in - q0 < LANES ? c_in - q0 : LANES;
            memset(kernel, 0, sizeof kernel);
            for (int l = 0; l < n; l++) {
                const float *w = weight + ((size_t)co * c_in + q0 + l) * 9;
                for (int k = 0; k < 9; k++)
                    kernel[k * LANES + l] = w[k];
            }
            kernel_2d(u, kernel);
            for (int p = 0; p < POINTS; p++)
                copy_lanes(U + ((size_t)p * c_out + co) * c_in + q0, u + p * LANES, n);
        }
    }
}

/* dweight[co][ci] += G^T dU[.][co][ci] G. */
static void accumulate_kernel_gradient(float *dweight, const float *dU, int c_out, int c_in)
{
    #pragma omp parallel for schedule(static)
    for (int co = 0; co < c_out; co++) {
        float du[POINTS * LANES], dg[9 * LANES];
        for (int q0 = 0; q0 < c_in; q0 += LANES) {
            const int n = c_in - q0 < LANES ? c_in - q0 : LANES;
            for (int p = 0; p < POINTS; p++) {
                copy_lanes(du + p * LANES, dU + ((size_t)p * c_out + co) * c_in + q0, n);
                for (int l = n; l < LANES; l++)
                    du[p * LANES + l] = 0.0f;
            }
            kernel_adjoint_2d(dg, du);
            for (int l = 0; l < n; l++)
                for (int k = 0; k < 9; k++)
                    dweight[((size_t)co * c_in + q0 + l) * 9 + k] += dg[k * LANES + l];
        }
    }
}

/* The 36 products C[p] (M x N) = op(A[p]) op(B[p]) with K the inner
 * dimension; A[p] is M x K, or K x M when transposed, and B[p] K x N or
 * N x K. One sgemm each, spread over the threads (OpenBLAS runs
 * single-threaded inside a parallel region). */
static void multiply_points(float *C, const float *A, const float *B, int M, int N, int K,
                            int trans_a, int trans_b)
{
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < POINTS; p++)
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A + (size_t)p * M * K,
                    trans_a ? M : K, B + (size_t)p * K * N, trans_b ? K : N, 0.0f,
                    C + (size_t)p * M * N, N);
}

/* ---- the convolution ------------------------------------------------------ */

/* F(4x4, 3x3) is the 3x3 kernel at stride 1; its tiles assume the one-pixel
 * border of 'same'. */
int conv2d_winograd_supports(const conv_shape *s) { return conv2d_is_3x3_same(s); }

/* M or dM (36 x c_out x T), dU (36 x c_out x c_in), then the transforms'
 * scratch. V and dV live in the layer's cache. */
size_t conv2d_winograd_workspace(const conv_shape *s)
{
    const tiling g = tiling_of(s->B, 1, s->H, s->W);
    return POINTS * (size_t)g.T * s->c_out + (size_t)POINTS * s->c_in * s->c_out +
           scratch_floats(&g);
}

/* U, the transformed kernels (36 x c_out x c_in), then V, the forward's
 * transformed input (36 x c_in x T), which the backward reads again. */
size_t conv2d_winograd_kernel_cache(const conv_shape *s)
{
    const tiling g = tiling_of(s->B, 1, s->H, s->W);
    return (size_t)POINTS * s->c_in * (s->c_out + (size_t)g.T);
}

void conv2d_winograd_forward(const conv_shape *s, float *out, const float *in,
                             const float *weight, const float *bias, const conv_buffers *buf)
{
    const tiling g_in = tiling_of(s->B, s->c_in, s->H, s->W);
    const tiling g_out = tiling_of(s->B, s->c_out, s->H, s->W);
    float *U = buf->kernel_cache, *V = U + (size_t)POINTS * s->c_in * s->c_out;
    float *M = buf->workspace;
    float *scratch = M + POINTS * (size_t)g_in.T * s->c_out + (size_t)POINTS * s->c_in * s->c_out;
    if (!buf->cache_is_current)
        transform_kernels(U, weight, s->c_out, s->c_in);
    transform_input(V, in, &g_in, scratch);
    multiply_points(M, U, V, s->c_out, g_in.T, s->c_in, 0, 0);
    transform_output(out, M, bias, s->relu, &g_out, scratch);
}

/* Both gradients come from dM = A dY A^T: the kernels' through the input
 * patches, dU[p] = dM[p] V[p]^T, and the input's as the exact adjoint of
 * the forward, dV[p] = U[p]^T dM[p] scattered back through B. */
void conv2d_winograd_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                              const float *in, const float *weight, const conv_buffers *buf)
{
    (void)weight;   /* the forward's transformed kernels are in the cache, */
    const int c_in = s->c_in, c_out = s->c_out;
    const tiling g_in = tiling_of(s->B, c_in, s->H, s->W), g_out = tiling_of(s->B, c_out, s->H, s->W);
    (void)in;       /* and its transform V */
    const int T = g_in.T;
    const float *U = buf->kernel_cache;
    float *V = buf->kernel_cache + (size_t)POINTS * c_in * c_out;
    float *dM = buf->workspace, *dU = dM + POINTS * (size_t)T * c_out;
    float *scratch = dU + (size_t)POINTS * c_in * c_out;
    transform_output_gradient(dM, dpre, &g_out, scratch);
    multiply_points(dU, dM, V, c_out, c_in, T, 0, 1);
    accumulate_kernel_gradient(dweight, dU, c_out, c_in);
    if (!din)
        return;
    float *dV = V;   /* V is spent: its space takes dV, so the workspace holds dM alone */
    multiply_points(dV, U, dM, c_in, T, c_out, 1, 0);
    transform_input_adjoint(din, dV, &g_in, scratch);
}
