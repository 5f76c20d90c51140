// The judge of ssm/ssd: a candidate Y [batch, T, heads, P] of Mamba-2's state space duality, in the layout and with
// the inputs of seqref.ref.ssd (seqref/ref/ssm/ssd.hpp): X [batch, T, heads, P] (Mamba-2's x·Δ), A [batch, T, heads]
// the per-step log decay a_t = Δ_t·A_h (the decay is exp(a_t)), B, C [batch, T, groups, N], h0 [batch, heads, P, N].
// Units are (batch, head) pairs: a head's Y depends only on its own X, A and h0 and its group's B and C.
//
// The yardstick is the recurrence, eq. (1): h_t = exp(a_t) h_{t−1} + x_t B_tᵀ, y_t = h_t C_t (seqref::ref::
// ssd_recurrence), not the quadratic form (L ∘ C Bᵀ) X nor the chunked algorithm, because
//   - it is the definition: the quadratic and chunked forms are derived to equal it (and are tested against it);
//   - it has no parameter (no chunk length) and no segment sums, so it is the plainest statement of the method;
//   - its cost is O(T·P·N) per head, linear in T, so the yardstick can afford any head the sample draws, where the
//     quadratic form is O(T²(N + P)) time and O(T²) memory per head;
//   - its roundings are those every correct form commits to first order: one multiply-add per state entry and step
//     (the chunked form's inter-chunk carry) and an N-term readout.
// A head is run in segments of at most kSegmentStates state entries per segment (a few MB), the state carried from
// one segment to the next through h0 / h_final: bit-identical to one run (the scan engine's loop restarted from the
// same state), with bounded memory (ssd_recurrence materializes every h_t of its input).
// The float64 truth is the chunked cpu kernel.

#include "seqref/opt/ssm/ssd.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/ssd.hpp"

#include <algorithm>
#include <stdexcept>

namespace {

using namespace seqref::judge;
constexpr const char* kId = "ssm/ssd";
constexpr Index kSegmentStates = Index(1) << 16;  // state entries (steps × P × N) one ssd_recurrence call holds

seqref::SsdShape shape_of(const Inputs& in) {
  const auto X = require_shape(kId, "X", array(in, "X", kId), {"batch", "T", "heads", "P"}, {});
  const Array& A = array(in, "A", kId);
  if (A.shape.size() == 1 || A.shape.size() == 2)
    throw std::invalid_argument(std::string("seqref.check(") + kId +
                                "): A must be [batch, T, heads], the per-step log decay a_t = dt_t * A_h of "
                                "seqref.ref.ssd (not Mamba-2's per-head A [heads]); got " +
                                shape_string(A.shape));
  require_shape(kId, "A", A, {"batch", "T", "heads"}, {X[0], X[1], X[2]});
  const auto B = require_shape(kId, "B", array(in, "B", kId), {"batch", "T", "groups", "N"}, {X[0], X[1]});
  require_shape(kId, "C", array(in, "C", kId), {"batch", "T", "groups", "N"}, B);
  if (X[2] % B[2] != 0)
    throw std::invalid_argument(std::string("seqref.check(") + kId + "): the groups of B and C (" +
                                std::to_string(B[2]) + ") must divide the heads of X (" + std::to_string(X[2]) +
                                "); got X " + shape_string(X) + ", B " + shape_string(B));
  if (const Array* h0 = optional_array(in, "h0"))
    require_shape(kId, "h0", *h0, {"batch", "heads", "P", "N"}, {X[0], X[2], X[3], B[3]});
  return {X[0], X[1], X[2], X[3], B[2], B[3]};
}

// The heads `units` (flat ids b·heads + h, sorted) by the recurrence in S, each in segments with the state carried.
template <class S>
Values heads_in(const Inputs& in, std::span<const Index> units) {
  const seqref::SsdShape s = shape_of(in);
  const Index T = s.len, H = s.heads, P = s.headdim, G = s.groups, N = s.dstate;
  const Array &X = array(in, "X", kId), &A = array(in, "A", kId), &B = array(in, "B", kId), &C = array(in, "C", kId);
  const Array* h0 = optional_array(in, "h0");
  const Index seg = std::clamp<Index>(kSegmentStates / (P * N), 1, T);
  const auto at = [](Index i) { return static_cast<std::size_t>(i); };
  Values out;
  std::vector<S> x, a, b, c, y, state(at(P * N)), next(at(P * N));
  for (const Index unit : units) {
    const Index bi = unit / H, h = unit % H, g = s.group_of(h);
    if (h0)
      for (Index k = 0; k < P * N; ++k) state[at(k)] = number_as<S>(h0->values[at((bi * H + h) * P * N + k)]);
    for (Index t0 = 0; t0 < T; t0 += seg) {
      const Index len = std::min(seg, T - t0);
      x.resize(at(len * P));
      a.resize(at(len));
      b.resize(at(len * N));
      c.resize(at(len * N));
      y.resize(at(len * P));
      for (Index t = 0; t < len; ++t) {
        const Index bt = bi * T + t0 + t;
        a[at(t)] = number_as<S>(A.values[at(bt * H + h)]);
        for (Index p = 0; p < P; ++p) x[at(t * P + p)] = number_as<S>(X.values[at((bt * H + h) * P + p)]);
        for (Index n = 0; n < N; ++n) {
          b[at(t * N + n)] = number_as<S>(B.values[at((bt * G + g) * N + n)]);
          c[at(t * N + n)] = number_as<S>(C.values[at((bt * G + g) * N + n)]);
        }
      }
      // h0 of this segment: the carried state (the given h0 first, none when it is absent)
      const bool has_h0 = t0 > 0 || h0 != nullptr;
      const seqref::SsdProblem<S> p{
          {1, len, 1, P, 1, N}, x, a, b, c, has_h0 ? std::span<const S>(state) : std::span<const S>{}};
      seqref::ref::ssd_recurrence<S>(p, y, next);
      std::swap(state, next);
      for (Index t = 0; t < len; ++t)
        for (Index q = 0; q < P; ++q) out.emplace_back(((bi * T + t0 + t) * H + h) * P + q, widen<S>(y[at(t * P + q)]));
    }
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, ssd) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "X [batch, T, heads, P] (Mamba-2's x * dt), A [batch, T, heads] (the per-step log decay a_t = dt_t * A_h, "
      "decay exp(a_t)), B, C [batch, T, groups, N] (groups divides heads), optional h0 [batch, heads, P, N] -> "
      "Y [batch, T, heads, P]: h_t = exp(a_t) h_{t-1} + x_t B_t^T, y_t = h_t C_t (= (L o C B^T) X, "
      "L = exp(segsum(a)), plus the decayed h0)";
  m.arrays = {"X", "A", "B", "C", "h0"};
  m.K = 4;
  m.K_reason =
      "a correct candidate (chunked, quadratic or a scan) forms the same decays exp(a_{s+1} + ... + a_t), products "
      "C_t . B_s and x_s B_s^T and N-term readouts as the recurrence, grouped differently (segment sums inside a "
      "chunk, GEMMs, the inter-chunk carry): the same first-order roundings in another order, so a small constant "
      "factor over the reference's own error, as for seqref's own chunked cpu kernel (tolerance table: ssm/ssd "
      "chunked f32/f64 cpu K = 4)";
  m.unit_name = "(batch, head) pair";
  m.output_shape = [](const Inputs& in) {
    const seqref::SsdShape s = shape_of(in);
    return std::vector<Index>{s.batch, s.len, s.heads, s.headdim};
  };
  m.units = [](const Inputs& in) {
    const seqref::SsdShape s = shape_of(in);
    return s.batch * s.heads;
  };
  m.unit_of = [](const Inputs& in, Index flat) {
    const seqref::SsdShape s = shape_of(in);
    return flat / (s.len * s.heads * s.headdim) * s.heads + flat / s.headdim % s.heads;  // of Y[b, t, h, p]
  };
  m.work_per_unit = [](const Inputs& in) {
    const seqref::SsdShape s = shape_of(in);
    // per step: x_t B_tᵀ (P·N), the state update (2·P·N), the readout (2·P·N), one exp
    return static_cast<double>(s.len) * (5.0 * static_cast<double>(s.headdim * s.dstate) + 20.0);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return heads_in<S>(in, units); });
  };
  m.reference_name =
      "seqref::ref::ssd_recurrence (eq. (1), the recurrence h_t = exp(a_t) h_{t-1} + x_t B_t^T by the scan "
      "engine's sequential loop, y_t = h_t C_t), one head at a time";
  m.fast_truth = [](const Inputs& in) {
    const seqref::SsdShape s = shape_of(in);
    const Array* h0 = optional_array(in, "h0");
    const seqref::SsdProblem<double> p{s,
                                       array(in, "X", kId).values,
                                       array(in, "A", kId).values,
                                       array(in, "B", kId).values,
                                       array(in, "C", kId).values,
                                       h0 ? std::span<const double>(h0->values) : std::span<const double>{}};
    std::vector<double> Y(static_cast<std::size_t>(s.x_size()));
    seqref::cpu::ssd(p, Y);
    return Y;
  };
  m.fast_truth_name = "seqref::cpu::ssd (chunked, chunk 64, Eigen GEMMs per chunk, the scan engine between chunks)";
  return m;
}
