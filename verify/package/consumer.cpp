// Uses the installed seqref like an outside project would: reference and optimized causal attention agree, and
// seqref::judge gives its verdict on a downstream kernel's output (a correct one passes, a buggy one fails).
#include <seqref/judge/judge.hpp>
#include <seqref/opt/attention/causal_attention.hpp>
#include <seqref/ref/attention/causal_attention.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

// "The user's kernel": eq. (1) row by row in float, with `shift` = 1 an off-by-one mask (row i sees keys < i + 2).
std::vector<float> my_attention(const seqref::Tensor3<float>& q, const seqref::Tensor3<float>& k,
                                const seqref::Tensor3<float>& v, float scale, int shift) {
  const seqref::Index H = q.heads(), T = q.len(), d = q.dim(), dv = v.dim();
  std::vector<float> out(static_cast<std::size_t>(H * T * dv), 0.0f);
  for (seqref::Index h = 0; h < H; ++h)
    for (seqref::Index i = 0; i < T; ++i) {
      const seqref::Index last = std::min<seqref::Index>(T - 1, i + shift);
      std::vector<float> p(static_cast<std::size_t>(last + 1));
      float m = -INFINITY, z = 0;
      for (seqref::Index j = 0; j <= last; ++j) {
        float s = 0;
        for (seqref::Index c = 0; c < d; ++c) s += q(h, i, c) * k(h, j, c);
        p[static_cast<std::size_t>(j)] = s * scale;
        m = std::fmax(m, s * scale);
      }
      for (auto& x : p) z += (x = std::exp(x - m));
      for (seqref::Index j = 0; j <= last; ++j)
        for (seqref::Index c = 0; c < dv; ++c)
          out[static_cast<std::size_t>((h * T + i) * dv + c)] += p[static_cast<std::size_t>(j)] / z * v(h, j, c);
    }
  return out;
}

seqref::judge::Array as_array(const seqref::Tensor3<float>& t) {
  return {{t.heads(), t.len(), t.dim()}, std::vector<double>(t.data(), t.data() + t.size()), seqref::judge::DType::f32};
}

}  // namespace

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

  seqref::judge::Inputs in;
  in.arrays["q"] = as_array(q);
  in.arrays["k"] = as_array(k);
  in.arrays["v"] = as_array(v);
  in.numbers["scale"] = scale;
  int status = err < 1e-5 ? 0 : 1;
  for (int shift : {0, 1}) {
    const std::vector<float> mine = my_attention(q, k, v, scale, shift);
    const seqref::judge::Array candidate{
        {H, T, d}, std::vector<double>(mine.begin(), mine.end()), seqref::judge::DType::f32};
    const seqref::judge::Verdict verdict = seqref::judge::check("attention/causal_attention", in, candidate);
    std::printf("%s\n", verdict.summary().c_str());
    if (verdict.passed != (shift == 0)) status = 1;
  }
  return status;
}
