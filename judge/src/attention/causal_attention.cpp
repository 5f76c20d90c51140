// The judge of attention/causal_attention: a candidate o = softmax(scale·QKᵀ + causal mask)·V, [H, T, dv].
// Units are output rows (h, i); the yardstick is eq. (1) of seqref::ref on the sampled rows, the float64 truth the
// flash-style cpu kernel.

#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/attention/causal_attention.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace {

using namespace seqref::judge;
constexpr const char* kId = "attention/causal_attention";

struct Shape {
  Index H, T, d, dv;
};

Shape shape_of(const Inputs& in) {
  const auto q = require_shape(kId, "q", array(in, "q", kId), {"H", "T", "d"}, {});
  require_shape(kId, "k", array(in, "k", kId), {"H", "T", "d"}, q);
  const auto v = require_shape(kId, "v", array(in, "v", kId), {"H", "T", "dv"}, {q[0], q[1]});
  const double scale = number(in, "scale", 1.0 / std::sqrt(static_cast<double>(q[2])));
  if (!std::isfinite(scale))
    throw std::invalid_argument(std::string("seqref.check(") + kId + "): scale must be finite; got " +
                                std::to_string(scale));
  return {q[0], q[1], q[2], v[2]};
}

double scale_of(const Inputs& in, const Shape& s) {
  return number(in, "scale", 1.0 / std::sqrt(static_cast<double>(s.d)));
}

// Rows `units` (flat row ids h·T + i, sorted) of eq. (1) in S. Each head converts only q, k, v up to its last
// requested row (the rows before it are all that row can see).
template <class S>
Values rows_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  const Array &q = array(in, "q", kId), &k = array(in, "k", kId), &v = array(in, "v", kId);
  std::map<Index, std::vector<Index>> by_head;
  for (const Index u : units) by_head[u / s.T].push_back(u % s.T);
  Values out;
  for (const auto& [h, rows] : by_head) {
    const Index len = *std::max_element(rows.begin(), rows.end()) + 1;
    auto slice = [&](const Array& a, Index dim) {
      std::vector<S> x(static_cast<std::size_t>(len * dim));
      const double* base = a.values.data() + h * s.T * dim;
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = number_as<S>(base[i]);
      return x;
    };
    const std::vector<S> qs = slice(q, s.d), ks = slice(k, s.d), vs = slice(v, s.dv);
    const seqref::Matrix<S> o =
        seqref::ref::causal_attention_rows<S>({qs.data(), 1, len, s.d}, {ks.data(), 1, len, s.d},
                                              {vs.data(), 1, len, s.dv}, number_as<S>(scale_of(in, s)), 0, rows);
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (Index c = 0; c < s.dv; ++c)
        out.emplace_back((h * s.T + rows[r]) * s.dv + c, widen<S>(o(static_cast<Index>(r), c)));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(attention, causal_attention) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "q, k [H, T, d], v [H, T, dv], scale (default 1/sqrt(d)) -> out [H, T, dv] = "
      "softmax(scale q k^T + causal mask) v";
  m.arrays = {"q", "k", "v"};
  m.numbers = {"scale"};
  m.K = 4;
  m.K_reason =
      "a correct candidate computes the same dot products (length d), softmax sums (<= T terms) and exps as the "
      "reference, in another order (GEMM blocking, tiles, online softmax): a small constant factor over the "
      "reference's own error, as for seqref's own cpu kernel (tolerance table, forward f32/f64 cpu K = 4)";
  m.unit_name = "row";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return std::vector<Index>{s.H, s.T, s.dv};
  };
  m.units = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return s.H * s.T;
  };
  m.unit_of = [](const Inputs& in, Index flat) { return flat / shape_of(in).dv; };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return static_cast<double>(s.T) * static_cast<double>(s.d + s.dv + 4);  // a row sees T/2 keys on average
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return rows_in<S>(in, units); });
  };
  m.reference_name = "seqref::ref::causal_attention eq. (1) (materialized scores, two-pass softmax)";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    const auto &q = array(in, "q", kId), &k = array(in, "k", kId), &v = array(in, "v", kId);
    std::vector<double> out(static_cast<std::size_t>(s.H * s.T * s.dv));
    seqref::cpu::causal_attention({q.values.data(), s.H, s.T, s.d}, {k.values.data(), s.H, s.T, s.d},
                                  {v.values.data(), s.H, s.T, s.dv}, {out.data(), s.H, s.T, s.dv}, scale_of(in, s));
    return out;
  };
  m.fast_truth_name = "seqref::cpu::causal_attention (flash-style tiles, online softmax)";
  return m;
}
