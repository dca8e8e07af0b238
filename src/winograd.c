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
 *   V[p][c][t]   input patches transformed, p the 36 points
 *   U[p][co][ci] kernels transformed (the layer's kernel cache)
 *   M[p][co][t]  products, before the output transform
 * Transforms work on LANES tiles (or kernels) at once, so every 6x6
 * arithmetic step is one vector operation over the lanes: the compiler
 * vectorises the lane loops for the CPU it runs on (target_clones). */
#include "conv2d_kernels.h"

#include <cblas.h>
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
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
VECTOR_CLONES static void input_2d(float *o, const float *d) { TRANSFORM_2D(o, d, pass_BT, ALPHA, ALPHA); }
VECTOR_CLONES static void input_adjoint_2d(float *o, const float *v) { TRANSFORM_2D(o, v, pass_B, ALPHA, ALPHA); }
VECTOR_CLONES static void kernel_2d(float *o, const float *g) { TRANSFORM_2D(o, g, pass_G, ALPHA, 3); }
VECTOR_CLONES static void output_2d(float *o, const float *m) { TRANSFORM_2D(o, m, pass_AT, TILE, ALPHA); }
VECTOR_CLONES static void output_adjoint_2d(float *o, const float *y) { TRANSFORM_2D(o, y, pass_A, ALPHA, TILE); }
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

typedef struct {
    int B, C, H, W;
    int tiles_x, tiles;      /* per image */
    size_t T;                /* B x tiles */
} tiling;

static tiling tiling_of(int B, int C, int H, int W)
{
    tiling g = { B, C, H, W, (W + TILE - 1) / TILE, 0, 0 };
    g.tiles = g.tiles_x * ((H + TILE - 1) / TILE);
    g.T = (size_t)B * g.tiles;
    return g;
}

/* Where tile t (of all B x tiles) starts: its image plane's offset in
 * planes of one channel, and its top-left output pixel. */
typedef struct { int b, y0, x0; } tile_at;

static inline tile_at locate(const tiling *g, size_t t)
{
    const int b = (int)(t / (size_t)g->tiles), k = (int)(t % (size_t)g->tiles);
    return (tile_at){ b, k / g->tiles_x * TILE, k % g->tiles_x * TILE };
}

/* ---- transforms of whole tensors ----------------------------------------- */
/* Chunks of LANES consecutive tiles of one channel, across images, so a
 * 7x7 map's four tiles per image still fill every lane. */

static inline size_t chunks_of(size_t T) { return (T + LANES - 1) / LANES; }

/* V[p][c][t] from in (B, C, H, W), zero padded by one. */
static void transform_input(float *V, const float *in, const tiling *g)
{
    const size_t chunks = chunks_of(g->T), HW = (size_t)g->H * g->W;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < g->C; c++)
        for (size_t chunk = 0; chunk < chunks; chunk++) {
            const size_t t0 = chunk * LANES;
            const int n = g->T - t0 < LANES ? (int)(g->T - t0) : LANES;
            float patch[POINTS * LANES], v[POINTS * LANES];
            for (int l = 0; l < n; l++) {
                const tile_at at = locate(g, t0 + l);
                const float *plane = in + ((size_t)at.b * g->C + c) * HW;
                const int y0 = at.y0 - 1, x0 = at.x0 - 1;
                const int inside = y0 >= 0 && x0 >= 0 && y0 + ALPHA <= g->H && x0 + ALPHA <= g->W;
                for (int r = 0; r < ALPHA; r++)
                    for (int q = 0; q < ALPHA; q++) {
                        const int y = y0 + r, x = x0 + q;
                        patch[(r * ALPHA + q) * LANES + l] =
                            inside || (y >= 0 && y < g->H && x >= 0 && x < g->W)
                                ? plane[y * g->W + x] : 0.0f;
                    }
            }
            for (int l = n; l < LANES; l++)
                for (int p = 0; p < POINTS; p++)
                    patch[p * LANES + l] = 0.0f;
            input_2d(v, patch);
            for (int p = 0; p < POINTS; p++)
                copy_lanes(V + ((size_t)p * g->C + c) * g->T + t0, v + p * LANES, n);
        }
}

/* din (B, C, H, W) = the adjoint of transform_input applied to dV: each
 * tile's B dV B^T added into its 6x6 patch (patches overlap by two pixels;
 * the padding border is dropped). A thread owns whole channels and walks
 * their tiles in order, so the sums are the same on any thread count. */
static void transform_input_adjoint(float *din, const float *dV, const tiling *g)
{
    const size_t chunks = chunks_of(g->T), HW = (size_t)g->H * g->W;
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < g->C; c++) {
        for (int b = 0; b < g->B; b++)
            memset(din + ((size_t)b * g->C + c) * HW, 0, sizeof(float) * HW);
        for (size_t chunk = 0; chunk < chunks; chunk++) {
            const size_t t0 = chunk * LANES;
            const int n = g->T - t0 < LANES ? (int)(g->T - t0) : LANES;
            float v[POINTS * LANES], patch[POINTS * LANES];
            for (int p = 0; p < POINTS; p++) {
                copy_lanes(v + p * LANES, dV + ((size_t)p * g->C + c) * g->T + t0, n);
                for (int l = n; l < LANES; l++)
                    v[p * LANES + l] = 0.0f;
            }
            input_adjoint_2d(patch, v);
            for (int l = 0; l < n; l++) {
                const tile_at at = locate(g, t0 + l);
                float *plane = din + ((size_t)at.b * g->C + c) * HW;
                for (int r = 0; r < ALPHA; r++) {
                    const int y = at.y0 - 1 + r;
                    if (y < 0 || y >= g->H)
                        continue;
                    for (int q = 0; q < ALPHA; q++) {
                        const int x = at.x0 - 1 + q;
                        if (x >= 0 && x < g->W)
                            plane[y * g->W + x] += patch[(r * ALPHA + q) * LANES + l];
                    }
                }
            }
        }
    }
}

/* out (B, C, H, W) = A^T M A per tile, cropped at the edges, + bias, ReLU'd if asked. */
static void transform_output(float *out, const float *M, const float *bias, int relu,
                             const tiling *g)
{
    const size_t chunks = chunks_of(g->T), HW = (size_t)g->H * g->W;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < g->C; c++)
        for (size_t chunk = 0; chunk < chunks; chunk++) {
            const size_t t0 = chunk * LANES;
            const int n = g->T - t0 < LANES ? (int)(g->T - t0) : LANES;
            const float shift = bias ? bias[c] : 0.0f;
            float m[POINTS * LANES], y[TILE * TILE * LANES];
            for (int p = 0; p < POINTS; p++) {
                copy_lanes(m + p * LANES, M + ((size_t)p * g->C + c) * g->T + t0, n);
                for (int l = n; l < LANES; l++)
                    m[p * LANES + l] = 0.0f;
            }
            output_2d(y, m);
            for (int k = 0; k < TILE * TILE * LANES; k++) {
                const float v = y[k] + shift;
                y[k] = relu && v < 0.0f ? 0.0f : v;
            }
            for (int l = 0; l < n; l++) {
                const tile_at at = locate(g, t0 + l);
                float *plane = out + ((size_t)at.b * g->C + c) * HW;
                const int rows = g->H - at.y0 < TILE ? g->H - at.y0 : TILE;
                const int cols = g->W - at.x0 < TILE ? g->W - at.x0 : TILE;
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < cols; q++)
                        plane[(at.y0 + r) * g->W + at.x0 + q] = y[(r * TILE + q) * LANES + l];
            }
        }
}

/* dM[p][c][t] = A dY A^T per tile of dout (B, C, H, W), zero past the edges. */
static void transform_output_gradient(float *dM, const float *dout, const tiling *g)
{
    const size_t chunks = chunks_of(g->T), HW = (size_t)g->H * g->W;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < g->C; c++)
        for (size_t chunk = 0; chunk < chunks; chunk++) {
            const size_t t0 = chunk * LANES;
            const int n = g->T - t0 < LANES ? (int)(g->T - t0) : LANES;
            float dy[TILE * TILE * LANES], dm[POINTS * LANES];
            memset(dy, 0, sizeof dy);
            for (int l = 0; l < n; l++) {
                const tile_at at = locate(g, t0 + l);
                const float *plane = dout + ((size_t)at.b * g->C + c) * HW;
                const int rows = g->H - at.y0 < TILE ? g->H - at.y0 : TILE;
                const int cols = g->W - at.x0 < TILE ? g->W - at.x0 : TILE;
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < cols; q++)
                        dy[(r * TILE + q) * LANES + l] = plane[(at.y0 + r) * g->W + at.x0 + q];
            }
            output_adjoint_2d(dm, dy);
            for (int p = 0; p < POINTS; p++)
                copy_lanes(dM + ((size_t)p * g->C + c) * g->T + t0, dm + p * LANES, n);
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

/* V (36 x c_in x T), M (36 x widest x T), dU (36 x c_out x c_in). */
size_t conv2d_winograd_workspace(const conv_shape *s)
{
    const tiling g = tiling_of(s->B, 1, s->H, s->W);
    const size_t widest = (size_t)(s->c_in > s->c_out ? s->c_in : s->c_out);
    return POINTS * g.T * (s->c_in + widest) + (size_t)POINTS * s->c_in * s->c_out;
}

/* U, the transformed kernels (36 x c_out x c_in). */
size_t conv2d_winograd_kernel_cache(const conv_shape *s)
{
    return (size_t)POINTS * s->c_in * s->c_out;
}

void conv2d_winograd_forward(const conv_shape *s, float *out, const float *in,
                             const float *weight, const float *bias, const conv_buffers *buf)
{
    const tiling g_in = tiling_of(s->B, s->c_in, s->H, s->W);
    const tiling g_out = tiling_of(s->B, s->c_out, s->H, s->W);
    float *V = buf->workspace, *M = V + POINTS * g_in.T * s->c_in, *U = buf->kernel_cache;
    if (!buf->cache_is_current)
        transform_kernels(U, weight, s->c_out, s->c_in);
    transform_input(V, in, &g_in);
    multiply_points(M, U, V, s->c_out, (int)g_in.T, s->c_in, 0, 0);
    transform_output(out, M, bias, s->relu, &g_out);
}

/* Both gradients come from dM = A dY A^T: the kernels' through the input
 * patches, dU[p] = dM[p] V[p]^T, and the input's as the exact adjoint of
 * the forward, dV[p] = U[p]^T dM[p] scattered back through B. */
void conv2d_winograd_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                              const float *in, const float *weight, const conv_buffers *buf)
{
    (void)weight;   /* the forward's transformed kernels are in the cache */
    const int c_in = s->c_in, c_out = s->c_out;
    const tiling g_in = tiling_of(s->B, c_in, s->H, s->W), g_out = tiling_of(s->B, c_out, s->H, s->W);
    const int T = (int)g_in.T;
    float *V = buf->workspace, *dM = V + POINTS * g_in.T * c_in;
    float *dU = dM + POINTS * g_in.T * (c_in > c_out ? c_in : c_out);
    transform_output_gradient(dM, dpre, &g_out);
    transform_input(V, in, &g_in);
    multiply_points(dU, dM, V, c_out, c_in, T, 0, 1);
    accumulate_kernel_gradient(dweight, dU, c_out, c_in);
    if (!din)
        return;
    multiply_points(V, buf->kernel_cache, dM, c_in, T, c_out, 1, 0);   /* dV */
    transform_input_adjoint(din, V, &g_in);
}
