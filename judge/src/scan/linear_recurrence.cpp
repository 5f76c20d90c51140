// The judge of scan/linear_recurrence: a candidate x [B, T, D] of the scan engine's problem
// x_t = J_t x_{t−1} + b_t (seqref/ref/scan/linear_recurrence.hpp), with the inputs of seqref.ref.linear_recurrence:
// J [B, T] (scalar: one a_t for the D entries), [B, T, D] (diagonal) or [B, T, D, D] (dense, row-major:
// x_t[i] = Σ_j J_t[i, j] x_{t−1}[j] + b_t[i]) — the kind is J's number of dimensions, as in the binding — b [B, T, D]
// and x0 [B, D] (optional, zeros). Units are the B sequences; the yardstick is the sequential loop
// seqref::ref::linear_recurrence on the sampled sequences, the float64 truth the cpu two-level chunked scan.

#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include <stdexcept>

namespace {

using namespace seqref::judge;
using seqref::Transition;
constexpr const char* kId = "scan/linear_recurrence";

struct Shape {
  Index B, T, D;
  Transition kind;
};

Shape shape_of(const Inputs& in) {
  const auto b = require_shape(kId, "b", array(in, "b", kId), {"B", "T", "D"}, {});
  const Array& J = array(in, "J", kId);
  Transition kind;
  switch (J.shape.size()) {
    case 2:
      kind = Transition::scalar;
      require_shape(kId, "J", J, {"B", "T"}, b);
      break;
    case 3:
      kind = Transition::diagonal;
      require_shape(kId, "J", J, {"B", "T", "D"}, b);
      break;
    case 4:
      kind = Transition::dense;
      require_shape(kId, "J", J, {"B", "T", "D", "D"}, {b[0], b[1], b[2], b[2]});
      break;
    default:
      throw std::invalid_argument(std::string("seqref.check(") + kId +
                                  "): J must be [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense) for b " +
                                  shape_string(b) + "; got " + shape_string(J.shape));
  }
  if (const Array* x0 = optional_array(in, "x0")) require_shape(kId, "x0", *x0, {"B", "D"}, {b[0], b[2]});
  return {b[0], b[1], b[2], kind};
}

// The sequences `units` (sorted) by the sequential loop in S, one at a time.
template <class S>
Values sequences_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  const Index T = s.T, D = s.D, JD = seqref::transition_size(s.kind, D);
  const Array &J = array(in, "J", kId), &b = array(in, "b", kId);
  const Array* x0 = optional_array(in, "x0");
  auto block = [](const Array& a, Index begin, Index len) {  // a[begin .. begin + len) in S
    std::vector<S> x(static_cast<std::size_t>(len));
    for (Index i = 0; i < len; ++i)
      x[static_cast<std::size_t>(i)] = number_as<S>(a.values[static_cast<std::size_t>(begin + i)]);
    return x;
  };
  Values out;
  std::vector<S> x(static_cast<std::size_t>(T * D));
  for (const Index beta : units) {
    const std::vector<S> Js = block(J, beta * T * JD, T * JD), bs = block(b, beta * T * D, T * D),
                         x0s = x0 ? block(*x0, beta * D, D) : std::vector<S>{};
    const seqref::LinearRecurrence<S> p{s.kind, 1, T, D, Js, bs, x0s};
    seqref::ref::linear_recurrence<S>(p, x);
    for (Index k = 0; k < T * D; ++k) out.emplace_back(beta * T * D + k, widen<S>(x[static_cast<std::size_t>(k)]));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(scan, linear_recurrence) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "J [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense, row-major; the kind is J's number of "
      "dimensions), b [B, T, D], optional x0 [B, D] (zeros) -> x [B, T, D]: x_t = J_t x_{t-1} + b_t, x[:, t-1] = x_t";
  m.arrays = {"J", "b", "x0"};
  m.K = 4;
  m.K_reason =
      "a correct candidate (a loop, a chunked or an associative/tree scan) composes the same products J_t x and sums "
      "as the sequential loop, grouped differently (chunk products, carried prefixes, composed affine maps): each "
      "grouping's roundings are bounded by the same first-order model E_t = |J_t| E_{t-1} + n u m_t, about 3 such "
      "terms for a two-level scan, so a small constant factor over the reference's own error, as for seqref's own "
      "cpu engine (tolerance table: scan/linear_recurrence chunked f32/f64 cpu K = 4)";
  m.unit_name = "sequence";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return std::vector<Index>{s.B, s.T, s.D};
  };
  m.units = [](const Inputs& in) { return shape_of(in).B; };
  m.unit_of = [](const Inputs& in, Index flat) {
    const Shape s = shape_of(in);
    return flat / (s.T * s.D);
  };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    // per step and entry: one product and one sum, or a D-term dot for dense J
    return static_cast<double>(s.T) * static_cast<double>(s.D) *
           (s.kind == Transition::dense ? 2.0 * static_cast<double>(s.D) : 2.0);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return sequences_in<S>(in, units); });
  };
  m.reference_name = "seqref::ref::linear_recurrence (the sequential loop), one sequence at a time";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    const Array* x0 = optional_array(in, "x0");
    const seqref::LinearRecurrence<double> p{s.kind,
                                             s.B,
                                             s.T,
                                             s.D,
                                             array(in, "J", kId).values,
                                             array(in, "b", kId).values,
                                             x0 ? std::span<const double>(x0->values) : std::span<const double>{}};
    std::vector<double> x(static_cast<std::size_t>(s.B * s.T * s.D));
    seqref::cpu::linear_recurrence(p, x);
    return x;
  };
  m.fast_truth_name = "seqref::cpu::linear_recurrence (the two-level chunked scan)";
  return m;
}
