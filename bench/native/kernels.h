#include <stddef.h>

void rmsprop_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sq,
                   float A, float B, float E, float L);
void rmsprop_centered_momentum(size_t n, float *restrict p, const float *restrict g,
                               float *restrict sq, float *restrict ga, float *restrict buf,
                               float A, float B, float E, float M, float L);
void adagrad_plain(size_t n, float *restrict p, const float *restrict g, float *restrict sum,
                   float E, float C);
