// Uses the installed seqref like an outside project would: reference and optimized causal attention agree.
#include <seqref/opt/attention/causal_attention.hpp>
#include <seqref/ref/attention/causal_attention.hpp>

#include <cmath>
#include <cstdio>

int main() {
  const seqref::Index H = 2, T = 100, d = 16;
  seqref::Tensor3<float> q(H, T, d), k(H, T, d), v(H, T, d), out(H, T, d);
  for (seqref::Index i = 0; i < q.size(); ++i) {
    q.data()[i] = std::sin(0.37f * i), k.data()[i] = std::cos(0.11f * i), v.data()[i] = std::sin(0.05f * i + 1);
  }
  const float scale = seqref::ref::default_scale<float>(d);
  const auto ref = seqref::ref::causal_attention<float>(q, k, v, scale);
  seqref::cpu::causal_attention(q, k, v, out.view(), scale);
  double err = 0;
  for (seqref::Index i = 0; i < out.size(); ++i) err = std::fmax(err, std::fabs(out.data()[i] - ref.data()[i]));
  std::printf("max |cpu - ref| = %.3g; cuda built: %d\n", err, seqref::cuda::built() ? 1 : 0);
  return err < 1e-5 ? 0 : 1;
}
