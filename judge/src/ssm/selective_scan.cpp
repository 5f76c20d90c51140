// The judge of ssm/selective_scan: a candidate y [batch, T, channels] of Mamba's S6, eqs. (1)-(6) of
// seqref/ref/ssm/selective_scan.hpp (h_t = exp(Δ_t A) ∘ h_{t−1} + B̄_t u_t, y_t = C_t·h_t + D u_t, y_t · silu(z_t)).
// Units are (batch, channel) lanes: B and C are shared by the channels, so a lane's y depends only on its own u, delta
// and z columns, its row of A, D, delta_bias and h0, and its sequence's B and C — a sub-problem with batch = 1,
// channels = 1, which the reference solves with the same arithmetic as the whole batch. The yardstick is
// seqref::ref::selective_scan on the sampled lanes, the float64 truth the fused cpu kernel.

#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"

#include <map>
#include <stdexcept>

namespace {

using namespace seqref::judge;
constexpr const char* kId = "ssm/selective_scan";

struct Shape {
  Index batch, T, channels, dstate;
};

[[noreturn]] void bad(const std::string& message) {
  throw std::invalid_argument(std::string("seqref.check(") + kId + "): " + message);
}

Shape shape_of(const Inputs& in) {
  const auto u = require_shape(kId, "u", array(in, "u", kId), {"batch", "T", "channels"}, {});
  const auto A = require_shape(kId, "A", array(in, "A", kId), {"channels", "dstate"}, {u[2]});
  require_shape(kId, "delta", array(in, "delta", kId), {"batch", "T", "channels"}, u);
  require_shape(kId, "B", array(in, "B", kId), {"batch", "T", "dstate"}, {u[0], u[1], A[1]});
  require_shape(kId, "C", array(in, "C", kId), {"batch", "T", "dstate"}, {u[0], u[1], A[1]});
  if (const Array* z = optional_array(in, "z")) require_shape(kId, "z", *z, {"batch", "T", "channels"}, u);
  if (const Array* D = optional_array(in, "D")) require_shape(kId, "D", *D, {"channels"}, {u[2]});
  if (const Array* b = optional_array(in, "delta_bias")) require_shape(kId, "delta_bias", *b, {"channels"}, {u[2]});
  if (const Array* h0 = optional_array(in, "h0"))
    require_shape(kId, "h0", *h0, {"batch", "channels", "dstate"}, {u[0], u[2], A[1]});
  const double softplus = number(in, "delta_softplus", 0);
  if (softplus != 0 && softplus != 1) bad("delta_softplus must be a bool (0 or 1); got " + std::to_string(softplus));
  const std::string disc = string(in, "discretization", "euler");
  if (disc != "euler" && disc != "zoh") bad("discretization must be 'euler' or 'zoh'; got '" + disc + "'");
  return {u[0], u[1], u[2], A[1]};
}

bool softplus_of(const Inputs& in) { return number(in, "delta_softplus", 0) != 0; }
seqref::BDiscretization discretization_of(const Inputs& in) {
  return string(in, "discretization", "euler") == "zoh" ? seqref::BDiscretization::zoh : seqref::BDiscretization::euler;
}

// The lanes `units` (flat lane ids β·channels + c, sorted) in S. Each sequence β converts its B and C once; each lane
// converts its own columns of u, delta, z and its rows of A and h0.
template <class S>
Values lanes_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  const Index T = s.T, Dc = s.channels, N = s.dstate;
  const Array &u = array(in, "u", kId), &delta = array(in, "delta", kId), &A = array(in, "A", kId),
              &B = array(in, "B", kId), &C = array(in, "C", kId);
  const Array *z = optional_array(in, "z"), *D = optional_array(in, "D"), *bias = optional_array(in, "delta_bias"),
              *h0 = optional_array(in, "h0");
  std::map<Index, std::vector<Index>> by_sequence;
  for (const Index lane : units) by_sequence[lane / Dc].push_back(lane % Dc);
  const auto at = [](Index i) { return static_cast<std::size_t>(i); };
  auto block = [&](const Array& a, Index begin, Index len) {  // a[begin .. begin + len) in S
    std::vector<S> x(at(len));
    for (Index i = 0; i < len; ++i) x[at(i)] = number_as<S>(a.values[at(begin + i)]);
    return x;
  };
  auto column = [&](const Array& a, Index beta, Index c) {  // a[β, :, c] of a [batch, T, channels] array
    std::vector<S> x(at(T));
    for (Index t = 0; t < T; ++t) x[at(t)] = number_as<S>(a.values[at((beta * T + t) * Dc + c)]);
    return x;
  };
  Values out;
  for (const auto& [beta, channels] : by_sequence) {
    const std::vector<S> Bs = block(B, beta * T * N, T * N), Cs = block(C, beta * T * N, T * N);
    for (const Index c : channels) {
      const std::vector<S> us = column(u, beta, c), ds = column(delta, beta, c), As = block(A, c * N, N);
      const std::vector<S> zs = z ? column(*z, beta, c) : std::vector<S>{}, Ds = D ? block(*D, c, 1) : std::vector<S>{},
                           bs = bias ? block(*bias, c, 1) : std::vector<S>{},
                           hs = h0 ? block(*h0, (beta * Dc + c) * N, N) : std::vector<S>{};
      seqref::SelectiveScan<S> p;
      p.batch = 1;
      p.len = T;
      p.channels = 1;
      p.dstate = N;
      p.u = us;
      p.delta = ds;
      p.A = As;
      p.B = Bs;
      p.C = Cs;
      p.D = Ds;
      p.z = zs;
      p.delta_bias = bs;
      p.h0 = hs;
      p.delta_softplus = softplus_of(in);
      p.discretization = discretization_of(in);
      std::vector<S> y(at(T));
      seqref::ref::selective_scan<S>(p, y);
      for (Index t = 0; t < T; ++t) out.emplace_back((beta * T + t) * Dc + c, widen<S>(y[at(t)]));
    }
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, selective_scan) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "u, delta [batch, T, channels], A [channels, dstate], B, C [batch, T, dstate], optional D, delta_bias "
      "[channels], z [batch, T, channels], h0 [batch, channels, dstate], delta_softplus (bool, default false), "
      "discretization ('euler' (default, Mamba's B-bar = delta B) or 'zoh') -> y [batch, T, channels]: "
      "h_t = exp(Delta_t A) h_{t-1} + B-bar_t u_t, y_t = C_t . h_t + D u_t, y_t *= silu(z_t)";
  m.arrays = {"u", "delta", "A", "B", "C", "D", "z", "delta_bias", "h0"};
  m.numbers = {"delta_softplus"};
  m.strings = {"discretization"};
  m.K = 4;
  m.K_reason =
      "a correct candidate computes the same softplus, exp(Delta A), B-bar u products, state updates and N-term "
      "C . h dots as the reference, in another order or fused (a chunked or parallel scan, FMA, vectorized exp/"
      "softplus within a few ulp): per step the same first-order roundings, carried forward by |exp(Delta A)| "
      "(<= 1 for a stable model), so a small constant factor over the reference's own error, as for seqref's own "
      "fused cpu kernel (tolerance table: ssm/selective_scan fused f32/f64 cpu K = 4)";
  m.unit_name = "(batch, channel) lane";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return std::vector<Index>{s.batch, s.T, s.channels};
  };
  m.units = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return s.batch * s.channels;
  };
  m.unit_of = [](const Inputs& in, Index flat) {
    const Shape s = shape_of(in);
    return flat / (s.T * s.channels) * s.channels + flat % s.channels;  // β·channels + c of y[β, t, c]
  };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    // per step: softplus, D u and the gate (~30 operations); per state entry exp (~10), B-bar u, update, C·h (~6)
    return static_cast<double>(s.T) * (16.0 * static_cast<double>(s.dstate) + 30.0);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return lanes_in<S>(in, units); });
  };
  m.reference_name =
      "seqref::ref::selective_scan (eqs. (1)-(6) step by step, the state update by the scan engine's "
      "sequential loop), one lane at a time";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    auto span = [](const Array* a) { return a ? std::span<const double>(a->values) : std::span<const double>{}; };
    seqref::SelectiveScan<double> p;
    p.batch = s.batch;
    p.len = s.T;
    p.channels = s.channels;
    p.dstate = s.dstate;
    p.u = span(&array(in, "u", kId));
    p.delta = span(&array(in, "delta", kId));
    p.A = span(&array(in, "A", kId));
    p.B = span(&array(in, "B", kId));
    p.C = span(&array(in, "C", kId));
    p.D = span(optional_array(in, "D"));
    p.z = span(optional_array(in, "z"));
    p.delta_bias = span(optional_array(in, "delta_bias"));
    p.h0 = span(optional_array(in, "h0"));
    p.delta_softplus = softplus_of(in);
    p.discretization = discretization_of(in);
    std::vector<double> y(static_cast<std::size_t>(s.batch * s.T * s.channels));
    seqref::cpu::selective_scan(p, y);
    return y;
  };
  m.fast_truth_name = "seqref::cpu::selective_scan (fused forward, the scan engine's chunked policy)";
  return m;
}
