/* dense: fully connected layer, y = x W^T + b, through cblas_sgemm.
 *   in, din: (B, n_in)   out, dout: (B, n_out)
 *   weight:  (n_out, n_in) (torch's Linear layout)   bias: (n_out)
 * Backward accumulates dweight and dbias (+=) and overwrites din. B may be 0. */
#ifndef SWEEP_DENSE_H
#define SWEEP_DENSE_H

void dense_forward(float *out, const float *in, const float *weight, const float *bias,
                   int B, int n_in, int n_out);
void dense_backward(float *din, float *dweight, float *dbias, const float *dout,
                    const float *in, const float *weight, int B, int n_in, int n_out);

#endif
