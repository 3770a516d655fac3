// Times one kernel of kernels.c. Usage: harness KERNEL N BATCH TIME_MS [subnormal]
// KERNEL is rmsprop, rmsprop-cm (centered + momentum), adagrad, adam, adamw or sgd-momentum.
// Warms up for a quarter of TIME_MS, then takes samples of BATCH steps for TIME_MS (at least 5)
// and prints one JSON line of ns/element: {"median": ..., "min": ..., "max": ..., "samples": ...}.
// Between samples the gradient's sign flips, untimed, as in bench/impls.mjs (see there why).
// The kernels live in another translation unit, so the compiler cannot hoist or drop the
// repeated steps.
// With `subnormal`, the gradient is scaled by 1e-39, so that it and g*g are subnormal or zero.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernels.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static float *buffer(size_t n) {
  float *b = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
  if (!b) { fprintf(stderr, "out of memory\n"); exit(2); }
  memset(b, 0, n * sizeof(float));
  return b;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// The same deterministic inputs as bench/data.mjs: uniform in [-1, 1) from a 32-bit LCG.
static void fill(float *x, size_t n, uint32_t seed) {
  uint32_t s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)((double)s / 4294967296.0 * 2.0 - 1.0);
  }
}

static const float SUBNORMAL_SCALE = 1e-39f;
static int kind;
static size_t n;
static float *p, *g, *s, *ga, *buf;

// Adam's constants at step 10 (lr 1e-3, betas 0.9 and 0.999, weight decay 0.01 for AdamW),
// computed in double and rounded once, as bench/kernels-quick.mjs does.
static float B1, C1, B2, C2, S, L_ADAM, K;

static void adam_constants(void) {
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, t = 10;
  B1 = (float)b1; C1 = (float)(1 - b1); B2 = (float)b2; C2 = (float)(1 - b2);
  S = (float)sqrt(1 - pow(b2, t));
  L_ADAM = (float)(-lr / (1 - pow(b1, t)));
  K = (float)(1 - lr * 0.01);
}

static void step(void) {
  const float A = 0.99f, B = 0.01f, E = 1e-8f, M = 0.9f, L = -1e-3f;
  if (kind == 0) rmsprop_plain(n, p, g, s, A, B, E, L);
  else if (kind == 1) rmsprop_centered_momentum(n, p, g, s, ga, buf, A, B, E, M, L);
  else if (kind == 2) adagrad_plain(n, p, g, s, 1e-10f, -1e-3f);
  else if (kind == 3) adam(n, p, g, s, ga, B1, C1, B2, C2, S, E, L_ADAM);
  else if (kind == 4) adamw(n, p, g, s, ga, B1, C1, B2, C2, S, E, L_ADAM, K);
  else sgd_momentum(n, p, g, buf, 0.9f, 1.0f, -0.01f);
}

static void flip(void) {
  if (kind == 1) for (size_t i = 0; i < n; i++) g[i] = -g[i];
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) { fprintf(stderr, "usage: harness KERNEL N BATCH TIME_MS [subnormal]\n"); return 2; }
  const char *kernel = argv[1];
  n = (size_t)strtoull(argv[2], NULL, 10);
  const long batch = atol(argv[3]);
  const double budget = atof(argv[4]) * 1e6;
  const char *kinds[] = {"rmsprop", "rmsprop-cm", "adagrad", "adam", "adamw", "sgd-momentum"};
  kind = -1;
  for (int k = 0; k < 6; k++) if (!strcmp(kernel, kinds[k])) kind = k;
  adam_constants();
  if (kind < 0 || n == 0 || batch < 1) { fprintf(stderr, "bad arguments\n"); return 2; }
  p = buffer(n); g = buffer(n); s = buffer(n); ga = buffer(n); buf = buffer(n);
  fill(p, n, 1);
  fill(g, n, 2);
  if (argc == 6 && !strcmp(argv[5], "subnormal")) for (size_t i = 0; i < n; i++) g[i] *= SUBNORMAL_SCALE;
  double t = now_ns();
  const double warm_end = t + budget / 4;
  do { flip(); for (long r = 0; r < batch; r++) step(); } while (now_ns() < warm_end);
  size_t cap = 1024, count = 0;
  double *ns = malloc(sizeof(double) * cap);
  const double end = now_ns() + budget;
  while (count < 5 || now_ns() < end) {
    flip();
    const double t0 = now_ns();
    for (long r = 0; r < batch; r++) step();
    const double dt = now_ns() - t0;
    if (count == cap) ns = realloc(ns, sizeof(double) * (cap *= 2));
    ns[count++] = dt / (double)batch / (double)n;
  }
  qsort(ns, count, sizeof(double), cmp);
  printf("{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"samples\":%zu}\n",
         count % 2 ? ns[count / 2] : (ns[count / 2 - 1] + ns[count / 2]) / 2, ns[0], ns[count - 1], count);
  return 0;
}
