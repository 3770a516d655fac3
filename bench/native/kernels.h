#include <stddef.h>

void rmsprop_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sq,
                   float A, float B, float E, float L);
void rmsprop_centered_momentum(size_t n, float *restrict p, const float *restrict g,
                               float *restrict sq, float *restrict ga, float *restrict buf,
                               float A, float B, float E, float M, float L);
void adagrad_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sum,
                   float E, float C);
void adam(size_t n, float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
          float B1, float C1, float B2, float C2, float S, float E, float L);
void adamw(size_t n, float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
           float B1, float C1, float B2, float C2, float S, float E, float L, float K);
void sgd_momentum(size_t n, float *restrict p, const float *restrict g, float *restrict buf,
                  float M, float D, float L);
