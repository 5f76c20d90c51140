// The judge of rnn/deer: a candidate trajectory x [T, d] (or [B, T, d]) of the tanh cell x_t = tanh(A x_{t−1} + u_t)
// from x_0 = x0, however the user evaluated it (DEER's parallel Newton sweeps, quasi-DEER, a sequential loop). The
// trajectory is judged, not the solver: the truth is the sequential solve, the yardstick the reference's sequential
// loop in the candidate's precision. Units are the batch's sequences (one unit without a batch: no sampling).

#include "seqref/opt/rnn/deer.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/rnn/deer.hpp"

#include <cmath>

namespace {

using namespace seqref::judge;
constexpr const char* kId = "rnn/deer";

struct Shape {
  Index B, T, d;
  bool batched;
};

Shape shape_of(const Inputs& in) {
  const Array& A = array(in, "A", kId);
  const auto a = require_shape(kId, "A", A, {"d", "d"}, {});
  if (a[0] != a[1])
    throw std::invalid_argument(std::string("seqref.check(") + kId + "): A must be square [d, d]; got " +
                                shape_string(a));
  const Index d = a[0];
  const Array& u = array(in, "u", kId);
  Shape s{1, 0, d, u.shape.size() == 3};
  if (s.batched) {
    const auto us = require_shape(kId, "u", u, {"B", "T", "d"}, {-1, -1, d});
    s.B = us[0], s.T = us[1];
  } else {
    s.T = require_shape(kId, "u", u, {"T", "d"}, {-1, d})[0];
  }
  if (const Array* x0 = optional_array(in, "x0")) {
    if (s.batched && x0->shape.size() == 2)
      require_shape(kId, "x0", *x0, {"B", "d"}, {s.B, d});
    else
      require_shape(kId, "x0", *x0, {"d"}, {d});
  }
  return s;
}

// x0 of sequence b (an empty span: x_0 = 0). A [d] x0 is shared by every sequence of a batch.
std::span<const double> x0_of(const Inputs& in, const Shape& s, Index b) {
  const Array* x0 = optional_array(in, "x0");
  if (!x0) return {};
  const Index at = x0->shape.size() == 2 ? b * s.d : 0;
  return {x0->values.data() + at, static_cast<std::size_t>(s.d)};
}

// The sequential loop of seqref::ref::rnn_sequential in S on the sequences `units` (sorted), inputs rounded to S.
template <class S>
Values sequences_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  seqref::TanhCell<S> cell;
  cell.dim = s.d;
  cell.A = values_as<S>(array(in, "A", kId));
  const Array& u = array(in, "u", kId);
  const std::size_t len = static_cast<std::size_t>(s.T * s.d);
  Values out;
  out.reserve(units.size() * len);
  for (const Index b : units) {
    std::vector<S> ub(len), x0;
    const double* base = u.values.data() + b * s.T * s.d;
    for (std::size_t i = 0; i < len; ++i) ub[i] = number_as<S>(base[i]);
    for (const double v : x0_of(in, s, b)) x0.push_back(number_as<S>(v));
    const std::vector<S> x = seqref::ref::rnn_sequential<seqref::TanhCell<S>, S>(cell, ub, x0);
    for (std::size_t i = 0; i < len; ++i)
      out.emplace_back(b * static_cast<Index>(len) + static_cast<Index>(i), widen<S>(x[i]));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(rnn, deer) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "A [d, d], u [T, d] or [B, T, d], x0 [d] or [B, d] (default 0) -> states [T, d] or [B, T, d], "
      "x_t = tanh(A x_{t-1} + u_t) for t = 1..T (states[t-1] = x_t), however evaluated (DEER sweeps, "
      "quasi-DEER, a loop); the solver's options (method, tol, max_sweeps, ...) are not inputs of the op";
  m.arrays = {"A", "u", "x0"};
  m.K = 4;
  m.K_reason =
      "a correct trajectory commits, per step, the rounding of one d-term dot product and one tanh, as the "
      "reference's sequential loop does; a converged DEER (correction form) ends at fl(f(x_{t-1})) plus one rounding "
      "per state, and the plain form carries a residual of about (d+1)u||J|| per step (1.5-3.3x the loop's error "
      "in seqref's own measurements): a small constant over the reference (the project's cpu K = 4). Errors travel "
      "along t through the same Jacobian products diag(1 - x_t^2) A for the candidate and the reference: a "
      "contracting cell damps both to a few u, an expanding (chaotic) cell amplifies both alike by exp(lambda t), "
      "so the ratio stays O(1); when the reference itself has no correct digit left, its yardstick (and the bound) "
      "says so by being of order 1/u";
  m.unit_name = "sequence";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return s.batched ? std::vector<Index>{s.B, s.T, s.d} : std::vector<Index>{s.T, s.d};
  };
  m.units = [](const Inputs& in) { return shape_of(in).B; };
  m.unit_of = [](const Inputs& in, Index flat) {
    const Shape s = shape_of(in);
    return flat / (s.T * s.d);
  };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return static_cast<double>(s.T) * static_cast<double>(2 * s.d * s.d + 20 * s.d);  // matvec + tanh per step
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return sequences_in<S>(in, units); });
  };
  m.reference_name = "seqref::ref::rnn_sequential (the sequential loop x_t = tanh(A x_{t-1} + u_t))";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    seqref::TanhCell<double> cell;
    cell.dim = s.d;
    cell.A = array(in, "A", kId).values;
    const Array& u = array(in, "u", kId);
    const std::size_t len = static_cast<std::size_t>(s.T * s.d);
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(s.B) * len);
    for (Index b = 0; b < s.B; ++b) {
      const std::vector<double> x = seqref::cpu::rnn_sequential(
          cell, std::span<const double>(u.values.data() + b * s.T * s.d, len), x0_of(in, s, b));
      out.insert(out.end(), x.begin(), x.end());
    }
    return out;
  };
  m.fast_truth_name = "seqref::cpu::rnn_sequential (the optimized sequential loop)";
  return m;
}
