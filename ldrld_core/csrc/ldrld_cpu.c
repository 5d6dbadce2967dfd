/* LDRLD's two per-row terms (local dense relations, RNTK) and their gradients on a CPU: the
 * kernel behind ldrld_core.fused (plain C, no torch headers, built with the system compiler
 * on first use). ldrld_core/ldrld_function.py holds the same mathematics in torch ops, for
 * other devices and as the fallback.
 *
 * Per row, with z = logits / T and the top-d classes ranked by one model's logits:
 *   local = T^2 / (P + 1) * (sum_{i<j} w_ij KL2(x_t, x_s) + KL over the top d),
 *           x = z_i - z_j, KL2 = sigma(x_t)(x_t - x_s) + log sigma(-x_t) - log sigma(-x_s);
 *   rntk  = T^2 * KL over the other C - d classes.
 * Rows go in blocks of BLOCK: the d gathered logits of a block are laid out class by class,
 * so that the pair and top-d loops run across rows and vectorise (as the torch version lays
 * them out classes first); the RNTK loops run along each row's classes. Forward keeps the
 * top-d indices, the softmaxes of the other classes (p_s, p_t; 0 at the top d), lse_t - lse_s
 * and the RNTK KL; backward recomputes the top-d part.
 *
 * Built with -ffast-math (vectorised reductions and clamps) and -fopenmp-simd (the loops'
 * pragmas; no OpenMP runtime). Fast-math may not carry a NaN or an infinity through, so every
 * row's inputs are tested for them with integer bit tests, which it leaves alone: such a row's
 * terms are NaN, and the caller's finiteness check then names the input.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>


#define BLOCK 64
#define MAX_DEPTH 64
#define WIDE_ROW 160  /* classes */
#define DROPPED (-1e30)  /* a column out of a softmax: its exp is exactly 0, and no 0 * inf */

static inline float as_float(int32_t i) { float f; __builtin_memcpy(&f, &i, sizeof f); return f; }
static inline int32_t as_int(float f) { int32_t i; __builtin_memcpy(&i, &f, sizeof i); return i; }

/* float32 exp and log without library calls, so the loops vectorise (Cephes' polynomials,
 * relative error about 1e-7). exp is exactly 0 below -87.3; log takes positive normal inputs. */
static inline float exp_f32(float x) {
    const float hi = 88.0f, lo = -87.3365478515625f;
    float cx = x > hi ? hi : (x < lo ? lo : x);
    float fx = cx * 1.44269504088896341f + 0.5f;
    float fl = (float)(int32_t)fx;
    fl = fl > fx ? fl - 1.0f : fl;
    float r = cx - fl * 0.693359375f + fl * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    float out = y * as_float(((int32_t)fl + 127) << 23);
    return x < lo ? 0.0f : out;
}

static inline float log_f32(float x) {
    int32_t i = as_int(x);
    float e = (float)(((i >> 23) & 0xff) - 126);
    float m = as_float((i & 0x007fffff) | 0x3f000000);  /* the mantissa in [0.5, 1) */
    int small = m < 0.707106781186547524f;
    e = small ? e - 1.0f : e;
    m = small ? m + m - 1.0f : m - 1.0f;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y += e * -2.12194440e-4f;
    y += -0.5f * z;
    return m + y + e * 0.693359375f;
}

static inline float log1p_f32(float x) {  /* x >= 0: log(1 + x), accurate for small x too */
    float u = 1.0f + x;
    float d = u - 1.0f;
    return d == 0.0f ? x : log_f32(u) * (x / d);
}

static inline int nonfinite_f32(float x) { return (as_int(x) & 0x7fffffff) >= 0x7f800000; }
static inline int64_t as_int64(double f) { int64_t i; __builtin_memcpy(&i, &f, sizeof i); return i; }
static inline int nonfinite_f64(double x) { return (as_int64(x) & 0x7fffffffffffffffLL) >= 0x7ff0000000000000LL; }
static inline double exp_f64(double x) { return exp(x); }
static inline double log_f64(double x) { return log(x); }
static inline double log1p_f64(double x) { return log1p(x); }

#define DEFINE_KERNELS(S, T, SUFFIX)                                                                        \
/* the top-d indices of each of a block's nb rows (v: nb x c), largest first; on ties the earlier */ \
/* column ranks first. The rows run across the vector lanes: the block is laid out column by      */ \
/* column in work (c * nb values), and each column goes through a branch-free insertion into     */ \
/* every row's sorted top d at once (a column that enters none is skipped after one test).         */ \
static void top_d_block_##SUFFIX(const S *restrict v, int64_t c, int64_t d, int64_t nb,          \
                                         int64_t *restrict top, S *restrict work) {                     \
    S val[MAX_DEPTH * BLOCK], cx[BLOCK];                                                                 \
    int32_t id[MAX_DEPTH * BLOCK], ci[BLOCK];                                                            \
    for (int64_t b = 0; b < nb; ++b)                                                                     \
        for (int64_t j = 0; j < c; ++j) work[j * nb + b] = v[b * c + j];                                 \
    for (int64_t q = 0; q < d * BLOCK; ++q) { val[q] = (S)(-3.0e38); id[q] = 0; }                         \
    for (int32_t j = 0; j < (int32_t)c; ++j) {                                                           \
        const S *col = work + j * nb, *last = val + (d - 1) * BLOCK;                                     \
        int enters = 0;  /* most columns of a wide row enter no row's top d: skip them */                \
        _Pragma("omp simd reduction(|:enters)")                                                          \
        for (int64_t b = 0; b < nb; ++b) enters |= col[b] > last[b];                                     \
        if (!enters) continue;                                                                           \
        for (int64_t b = 0; b < nb; ++b) { cx[b] = col[b]; ci[b] = j; }                                  \
        for (int64_t p = 0; p < d; ++p) {                                                                \
            S *vp = val + p * BLOCK;                                                                     \
            int32_t *ip = id + p * BLOCK;                                                                \
            _Pragma("omp simd")                                                                          \
            for (int64_t b = 0; b < nb; ++b) {                                                           \
                S x = cx[b], y = vp[b];                                                                  \
                int32_t xi = ci[b], yi = ip[b];                                                          \
                int above = x > y;                                                                       \
                vp[b] = above ? x : y; ip[b] = above ? xi : yi;                                          \
                cx[b] = above ? y : x; ci[b] = above ? yi : xi;                                          \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
    for (int64_t b = 0; b < nb; ++b)                                                                     \
        for (int64_t p = 0; p < d; ++p) top[b * d + p] = id[p * BLOCK + b];                              \
}                                                                                                        \
/* the top-d indices of one row v (c values), for wide rows, with the same order and ties:       */ \
/* d rounds of a vectorised arg-max over a copy of the row, each taking out the one it found.      */ \
static void top_d_row_##SUFFIX(const S *restrict v, int64_t c, int64_t d, int64_t *restrict top,  \
                                         S *restrict work) {                                             \
    memcpy(work, v, c * sizeof(S));                                                                      \
    for (int64_t k = 0; k < d; ++k) {                                                                    \
        S m = work[0];                                                                                   \
        _Pragma("omp simd reduction(max:m)")                                                             \
        for (int64_t j = 0; j < c; ++j) m = work[j] > m ? work[j] : m;                                   \
        int32_t at = (int32_t)c, n32 = (int32_t)c;  /* 32-bit lanes: twice as many per vector */         \
        _Pragma("omp simd reduction(min:at)")                                                            \
        for (int32_t j = 0; j < n32; ++j) at = (work[j] == m && j < at) ? j : at;                        \
        at = at < n32 ? at : 0;  /* a NaN in the row (its terms become NaN anyway) */                    \
        top[k] = at;                                                                                     \
        work[at] = (S)(-3.0e38);                                                                           \
    }                                                                                                    \
}                                                                                                        \
/* rows up to WIDE_ROW classes run across the vector lanes, wider ones one at a time (measured) */    \
static void top_d_##SUFFIX(const S *v, int64_t c, int64_t d, int64_t nb, int64_t *top, S *work) {      \
    if (c > WIDE_ROW) { for (int64_t b = 0; b < nb; ++b) top_d_row_##SUFFIX(v + b * c, c, d, top + b * d, work); } \
    else top_d_block_##SUFFIX(v, c, d, nb, top, work);                                                   \
}                                                                                                        \
/* 1 when a row of s or t holds a NaN or an infinity */                                              \
static int row_nonfinite_##SUFFIX(const S *restrict s, const S *restrict t, int64_t c) {    \
    int bad = 0;                                                                                         \
    _Pragma("omp simd reduction(|:bad)")                                                                 \
    for (int64_t j = 0; j < c; ++j) bad |= nonfinite_##T(s[j]) | nonfinite_##T(t[j]);          \
    return bad;                                                                                          \
}                                                                                                        \
/* gather a block's top-d logits / T class by class: g[k * BLOCK + b] */                              \
static void gather_##SUFFIX(const S *s, const S *t, int64_t c, int64_t d, const int64_t *top,            \
                            int64_t nb, S inv, S *gs, S *gt) {                                           \
    for (int64_t b = 0; b < nb; ++b)                                                                     \
        for (int64_t k = 0; k < d; ++k) {                                                                \
            gs[k * BLOCK + b] = s[b * c + top[b * d + k]] * inv;                                         \
            gt[k * BLOCK + b] = t[b * c + top[b * d + k]] * inv;                                         \
        }                                                                                                \
}                                                                                                        \
/* the block's pair terms, summed with their weights, into acc (one value per row) */                  \
static void pairs_##SUFFIX(const S *restrict gs, const S *restrict gt, int64_t d,          \
                                         const double *w, int64_t nb, S *restrict acc) {                 \
    for (int64_t b = 0; b < nb; ++b) acc[b] = 0;                                                         \
    int64_t p = 0;                                                                                       \
    for (int64_t i = 0; i < d; ++i)                                                                      \
        for (int64_t j = i + 1; j < d; ++j, ++p) {                                                       \
            const S wp = (S)w[p];                                                                        \
            const S *si = gs + i * BLOCK, *sj = gs + j * BLOCK, *ti = gt + i * BLOCK, *tj = gt + j * BLOCK; \
            for (int64_t b = 0; b < nb; ++b) {                                                           \
                S xs = si[b] - sj[b], xt = ti[b] - tj[b];                                                \
                S as = xs < 0 ? -xs : xs, at = xt < 0 ? -xt : xt;                                        \
                S es = exp_##T(-as), et = exp_##T(-at);                                        \
                S sig_t = (xt >= 0 ? 1 : et) / (1 + et);                                                 \
                S lt = (xt > 0 ? -xt : 0) - log1p_##T(et);  /* log sigma(-x_t) */                   \
                S ls = (xs > 0 ? -xs : 0) - log1p_##T(es);  /* log sigma(-x_s) */                   \
                acc[b] += wp * (sig_t * (xt - xs) + lt - ls);                                            \
            }                                                                                            \
        }                                                                                                \
}                                                                                                        \
/* the block's top-d softmaxes (qs, qt, laid out as g) and KL; lr = log q_t - log q_s */               \
static void top_kl_##SUFFIX(const S *restrict gs, const S *restrict gt, int64_t d,         \
                                          int64_t nb, S *restrict qs, S *restrict qt, S *restrict lr,    \
                                          S *restrict kl) {                                              \
    S ms[BLOCK], mt[BLOCK], ss[BLOCK], st[BLOCK];                                                        \
    for (int64_t b = 0; b < nb; ++b) { ms[b] = gs[b]; mt[b] = gt[b]; ss[b] = 0; st[b] = 0; kl[b] = 0; }  \
    for (int64_t k = 1; k < d; ++k)                                                                      \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            S a = gs[k * BLOCK + b], e = gt[k * BLOCK + b];                                              \
            ms[b] = a > ms[b] ? a : ms[b]; mt[b] = e > mt[b] ? e : mt[b];                                \
        }                                                                                                \
    for (int64_t k = 0; k < d; ++k)                                                                      \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            ss[b] += exp_##T(gs[k * BLOCK + b] - ms[b]);                                            \
            st[b] += exp_##T(gt[k * BLOCK + b] - mt[b]);                                            \
        }                                                                                                \
    for (int64_t b = 0; b < nb; ++b) { ms[b] += log_##T(ss[b]); mt[b] += log_##T(st[b]); }     \
    for (int64_t k = 0; k < d; ++k)                                                                      \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            int64_t q = k * BLOCK + b;                                                                   \
            S ls = gs[q] - ms[b], lt = gt[q] - mt[b];                                                    \
            qs[q] = exp_##T(ls); qt[q] = exp_##T(lt); lr[q] = lt - ls;                         \
            kl[b] += qt[q] * lr[q];                                                                      \
        }                                                                                                \
}                                                                                                        \
/* one row's RNTK: softmaxes over the columns not marked in ps (marked: 1) into ps/pt */               \
static void rntk_row_##SUFFIX(const S *restrict s, const S *restrict t, int64_t c, S inv,    \
                                            S *restrict ps, S *restrict pt, S *out_dl, S *out_kl) {     \
    S ms = (S)DROPPED, mt = (S)DROPPED;                                                                  \
    for (int64_t j = 0; j < c; ++j) {                                                                    \
        int keep = ps[j] == 0;                                                                           \
        ps[j] = keep ? s[j] * inv : (S)DROPPED;                                                          \
        pt[j] = keep ? t[j] * inv : (S)DROPPED;                                                          \
    }                                                                                                    \
    _Pragma("omp simd reduction(max:ms, mt)")                                                            \
    for (int64_t j = 0; j < c; ++j) { ms = ps[j] > ms ? ps[j] : ms; mt = pt[j] > mt ? pt[j] : mt; }      \
    S sum_s = 0, sum_t = 0, a = 0;                                                                       \
    _Pragma("omp simd reduction(+:sum_s, sum_t, a)")                                                     \
    for (int64_t j = 0; j < c; ++j) {                                                                    \
        S es = exp_##T(ps[j] - ms), et = exp_##T(pt[j] - mt);                                  \
        a += et * (pt[j] - ps[j]);                                                                       \
        sum_s += es; sum_t += et; ps[j] = es; pt[j] = et;                                               \
    }                                                                                                    \
    S is = 1 / sum_s, it = 1 / sum_t;                                                                    \
    for (int64_t j = 0; j < c; ++j) { ps[j] *= is; pt[j] *= it; }                                      \
    S dl = (mt + log_##T(sum_t)) - (ms + log_##T(sum_s));                                      \
    *out_dl = dl;                                                                                        \
    *out_kl = a * it - dl;                                                                               \
}                                                                                                        \
/* returns -1 for a depth out of range, else the number of rows with a NaN or an infinity in s or t; */ \
/* with mean_local != NULL also alpha * mean(local) and beta * mean(rntk) */                            \
int ldrld_forward_##SUFFIX(const S *s, const S *t, int64_t n, int64_t c, int64_t d, double T, int by_teacher, \
                           const double *w, int64_t *top, S *ps, S *pt, S *dl, S *kl_rntk, S *local, S *rntk, \
                           double alpha, double beta, S *mean_local, S *mean_rntk) {                     \
    if (d < 2 || d > MAX_DEPTH || d > c) return -1;                                                      \
    int bad_rows = 0;                                                                                    \
    S inv = (S)(1.0 / T), t2 = (S)(T * T), scale = (S)(T * T / (double)(d * (d - 1) / 2 + 1));          \
    S gs[MAX_DEPTH * BLOCK], gt[MAX_DEPTH * BLOCK], qs[MAX_DEPTH * BLOCK], qt[MAX_DEPTH * BLOCK];        \
    S lr[MAX_DEPTH * BLOCK], acc[BLOCK], kl[BLOCK];                                                      \
    for (int64_t r0 = 0; r0 < n; r0 += BLOCK) {                                                          \
        int64_t nb = n - r0 < BLOCK ? n - r0 : BLOCK;                                                    \
        const S *sb = s + r0 * c, *tb = t + r0 * c;                                                      \
        top_d_##SUFFIX(by_teacher ? tb : sb, c, d, nb, top + r0 * d, ps + r0 * c);                        \
        gather_##SUFFIX(sb, tb, c, d, top + r0 * d, nb, inv, gs, gt);                                    \
        pairs_##SUFFIX(gs, gt, d, w, nb, acc);                                                           \
        top_kl_##SUFFIX(gs, gt, d, nb, qs, qt, lr, kl);                                                  \
        for (int64_t b = 0; b < nb; ++b) local[r0 + b] = scale * (acc[b] + kl[b]);                       \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            int64_t r = r0 + b;                                                                          \
            S *psr = ps + r * c, *ptr = pt + r * c;                                                      \
            memset(psr, 0, c * sizeof(S));                                                               \
            if (d == c) { memset(ptr, 0, c * sizeof(S)); dl[r] = 0; kl_rntk[r] = 0; rntk[r] = 0; }       \
            else {                                                                                       \
                for (int64_t k = 0; k < d; ++k) psr[top[r * d + k]] = 1;  /* marks the top d */         \
                rntk_row_##SUFFIX(s + r * c, t + r * c, c, inv, psr, ptr, dl + r, kl_rntk + r);          \
                rntk[r] = t2 * kl_rntk[r];                                                               \
            }                                                                                            \
            if (row_nonfinite_##SUFFIX(s + r * c, t + r * c, c)) { local[r] = (S)NAN; rntk[r] = (S)NAN; ++bad_rows; } \
        }                                                                                                \
    }                                                                                                    \
    if (mean_local) {                                                                                    \
        double sl = 0, sr = 0;                                                                           \
        for (int64_t r = 0; r < n; ++r) { sl += local[r]; sr += rntk[r]; }                               \
        *mean_local = (S)(n ? alpha * sl / (double)n : 0); *mean_rntk = (S)(n ? beta * sr / (double)n : 0); \
    }                                                                                                    \
    return bad_rows;                                                                                     \
}                                                                                                        \
/* the block's gradient of the local term for the top-d classes, laid out as g: as (student), at */    \
static void local_grad_##SUFFIX(const S *restrict gs, const S *restrict gt, int64_t d,      \
                                              const double *w, int64_t nb, S *restrict as, S *restrict at) { \
    for (int64_t q = 0; q < d * BLOCK; ++q) { as[q] = 0; at[q] = 0; }                                    \
    int64_t p = 0;                                                                                       \
    for (int64_t i = 0; i < d; ++i)                                                                      \
        for (int64_t j = i + 1; j < d; ++j, ++p) {                                                       \
            const S wp = (S)w[p];                                                                        \
            const S *si = gs + i * BLOCK, *sj = gs + j * BLOCK, *ti = gt + i * BLOCK, *tj = gt + j * BLOCK; \
            S *asi = as + i * BLOCK, *asj = as + j * BLOCK, *ati = at + i * BLOCK, *atj = at + j * BLOCK;   \
            for (int64_t b = 0; b < nb; ++b) {                                                           \
                S xs = si[b] - sj[b], xt = ti[b] - tj[b];                                                \
                S es = exp_##T(-(xs < 0 ? -xs : xs)), et = exp_##T(-(xt < 0 ? -xt : xt));      \
                S sig_s = (xs >= 0 ? 1 : es) / (1 + es), sig_t = (xt >= 0 ? 1 : et) / (1 + et);          \
                S ds = wp * (sig_s - sig_t), dt = wp * sig_t * (1 - sig_t) * (xt - xs);                  \
                asi[b] += ds; asj[b] -= ds; ati[b] += dt; atj[b] -= dt;                                  \
            }                                                                                            \
        }                                                                                                \
}                                                                                                        \
static void rntk_grad_##SUFFIX(const S *restrict ps, const S *restrict pt,                  \
                                            const S *restrict s, const S *restrict t, int64_t c, S inv,  \
                                            S g, S shift, S *restrict gs_out, S *restrict gt_out) {      \
    if (gs_out) for (int64_t j = 0; j < c; ++j) gs_out[j] = g * (ps[j] - pt[j]);                        \
    if (gt_out) for (int64_t j = 0; j < c; ++j) gt_out[j] = g * pt[j] * ((t[j] - s[j]) * inv - shift);  \
}                                                                                                        \
/* the upstream gradient of row r: grad_local[r * stride] * scale_local (stride 0: one for all rows) */   \
int ldrld_backward_##SUFFIX(const S *s, const S *t, int64_t n, int64_t c, int64_t d, double T,           \
                            const double *w, const int64_t *top, const S *ps, const S *pt, const S *dl,  \
                            const S *kl_rntk, const S *grad_local, const S *grad_rntk, int64_t stride,   \
                            double scale_local, double scale_rntk, S *grad_s, S *grad_t) {               \
    S inv = (S)(1.0 / T), scale = (S)(T / (double)(d * (d - 1) / 2 + 1));                              \
    S gs[MAX_DEPTH * BLOCK], gt[MAX_DEPTH * BLOCK], qs[MAX_DEPTH * BLOCK], qt[MAX_DEPTH * BLOCK];        \
    S lr[MAX_DEPTH * BLOCK], as[MAX_DEPTH * BLOCK], at[MAX_DEPTH * BLOCK], kl[BLOCK];                    \
    for (int64_t r0 = 0; r0 < n; r0 += BLOCK) {                                                          \
        int64_t nb = n - r0 < BLOCK ? n - r0 : BLOCK;                                                    \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            int64_t r = r0 + b;                                                                          \
            rntk_grad_##SUFFIX(ps + r * c, pt + r * c, s + r * c, t + r * c, c, inv,                     \
                               grad_rntk[r * stride] * (S)(scale_rntk * T),                              \
                               dl[r] + kl_rntk[r], grad_s ? grad_s + r * c : 0, grad_t ? grad_t + r * c : 0); \
        }                                                                                                \
        gather_##SUFFIX(s + r0 * c, t + r0 * c, c, d, top + r0 * d, nb, inv, gs, gt);                    \
        local_grad_##SUFFIX(gs, gt, d, w, nb, as, at);                                                   \
        top_kl_##SUFFIX(gs, gt, d, nb, qs, qt, lr, kl);                                                  \
        for (int64_t b = 0; b < nb; ++b) {                                                               \
            int64_t r = r0 + b;                                                                          \
            S g = grad_local[r * stride] * (S)scale_local * scale;                                       \
            for (int64_t k = 0; k < d; ++k) {                                                            \
                int64_t q = k * BLOCK + b, col = r * c + top[r * d + k];                                 \
                if (grad_s) grad_s[col] = g * (as[q] + qs[q] - qt[q]);                                   \
                if (grad_t) grad_t[col] = g * (at[q] + qt[q] * (lr[q] - kl[b]));                         \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
    return 0;                                                                                            \
}

/* One build per instruction set, chosen at load time by ldrld_core.fused from torch's own CPU
 * capability (ATEN_CPU_CAPABILITY honoured), so that the kernel runs the same instruction set
 * as torch's kernels and a test under ATEN_CPU_CAPABILITY=avx2 or =default exercises it. */
DEFINE_KERNELS(float, f32, f32_default)
DEFINE_KERNELS(double, f64, f64_default)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
DEFINE_KERNELS(float, f32, f32_avx2)
DEFINE_KERNELS(double, f64, f64_avx2)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
DEFINE_KERNELS(float, f32, f32_avx512)
DEFINE_KERNELS(double, f64, f64_avx512)
#pragma GCC pop_options
#endif
