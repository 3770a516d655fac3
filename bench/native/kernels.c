// The simdopt kernels in C, in the float32 operation order of test/fixtures/FORMULAS.md and
// FORMULAS-2.md, for
// the native rows of the benchmark. Written as plain loops and left to the compiler's
// auto-vectoriser; built with -ffp-contract=off (no fused multiply-add, so the results are the
// same bits as the wasm kernel) and -fno-math-errno (so sqrtf is one instruction: IEEE sqrt is
// correctly rounded either way, only the errno side effect goes).
#include <math.h>
#include <stddef.h>
#include "kernels.h"

void rmsprop_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sq,
                   float A, float B, float E, float L) {
  for (size_t i = 0; i < n; i++) {
    const float gv = g[i];
    const float sv = sq[i] * A + (B * gv) * gv;
    sq[i] = sv;
    const float avg = sqrtf(sv) + E;
    p[i] = p[i] + (L * gv) / avg;
  }
}

void rmsprop_centered_momentum(size_t n, float *restrict p, const float *restrict g,
                               float *restrict sq, float *restrict ga, float *restrict buf,
                               float A, float B, float E, float M, float L) {
  for (size_t i = 0; i < n; i++) {
    const float gv = g[i];
    const float sv = sq[i] * A + (B * gv) * gv;
    sq[i] = sv;
    const float av = ga[i] * A + B * gv;
    ga[i] = av;
    const float avg = sqrtf(sv - av * av) + E;
    const float bv = buf[i] * M + gv / avg;
    buf[i] = bv;
    p[i] = p[i] + L * bv;
  }
}

void adagrad_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sum,
                   float E, float C) {
  for (size_t i = 0; i < n; i++) {
    const float gv = g[i];
    const float sv = sum[i] + gv * gv;
    sum[i] = sv;
    const float std = sqrtf(sv) + E;
    p[i] = p[i] + (C * gv) / std;
  }
}

// S = sqrt(1 - beta2^step) and L = -lr / (1 - beta1^step): the division by S stays a true
// division, as in torch (and the wasm kernel).
void adam(size_t n, float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
          float B1, float C1, float B2, float C2, float S, float E, float L) {
  for (size_t i = 0; i < n; i++) {
    const float gv = g[i];
    const float mv = m[i] * B1 + C1 * gv;
    m[i] = mv;
    const float vv = v[i] * B2 + (C2 * gv) * gv;
    v[i] = vv;
    const float denom = sqrtf(vv) / S + E;
    p[i] = p[i] + (L * mv) / denom;
  }
}

// Adam with decoupled weight decay (AdamW): K = 1 - lr * weight_decay scales p first.
void adamw(size_t n, float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
           float B1, float C1, float B2, float C2, float S, float E, float L, float K) {
  for (size_t i = 0; i < n; i++) {
    const float gv = g[i];
    const float mv = m[i] * B1 + C1 * gv;
    m[i] = mv;
    const float vv = v[i] * B2 + (C2 * gv) * gv;
    v[i] = vv;
    const float denom = sqrtf(vv) / S + E;
    p[i] = p[i] * K + (L * mv) / denom;
  }
}

// SGD with momentum after its first step: D = 1 - dampening, L = -lr.
void sgd_momentum(size_t n, float *restrict p, const float *restrict g, float *restrict buf,
                  float M, float D, float L) {
  for (size_t i = 0; i < n; i++) {
    const float bv = buf[i] * M + D * g[i];
    buf[i] = bv;
    p[i] = p[i] + L * bv;
  }
}
