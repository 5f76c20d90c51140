// The judge of ssm/hippo: a candidate HiPPO-LegS online memory, the coefficients x_1..x_L [L, N] (or [C, L, N], one
// memory per channel) of the samples u (kexue.fm/archives/10137; seqref/ref/ssm/hippo.hpp, legs_online):
//
//   x_1 = B_0 u_0 e_0,   x_{k+1} = (I − A/(2(k+1)))⁻¹ [(I + A/(2k)) x_k + w_k B u_k],   k = 1..L−1   (bilinear)
//
// with the LegS A, B_n = b·√(2n+1) (b = 1: paper / state_spaces, √2: post), w_k = 1/k (inverse_k) or ln(1 + 1/k)
// (log_ratio); forward_euler and backward_euler are the other schemes of the reference. Units are channels; the
// truth is seqref::cpu::hippo_legs_online in float64 (the bilinear scheme it implements; the reference's O(N)
// recurrence seqref::ref::legs_online_fast in float64 for the other two, in long double for float64 candidates).
//
// The yardstick runs the reference's two forms in the candidate's precision: the O(N) recurrences
// (seqref::ref::legs_online_fast, what the cpu kernel computes) and the step in plain matrix form
// (seqref::ref::legs_online_dense: dense matvec, forward substitution — what users write), and keeps, channel by
// channel, the run farther from the long-double recurrence. Each form is the less accurate one in a regime users
// reach: the dense solve amplifies its rounding by |(I − λA)⁻¹| |r| ≫ |z| at large N (float32, 4-9x the O(N)
// form's error at N = 512-1024, L = 1000), the O(N) recurrence carries a rounding bias that grows like L instead of
// √L (float32, N = 4: 5x the dense form's error at L = 4096, 9.6x at L = 16384). Either alone as the yardstick
// would fail correct code written the other way.

#include "seqref/opt/ssm/hippo.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/hippo.hpp"

#include <algorithm>
#include <cmath>

namespace {

using namespace seqref::judge;
using seqref::ref::HippoConvention;
using seqref::ref::LegsScheme;
using seqref::ref::LegsWeight;
constexpr const char* kId = "ssm/hippo";

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument(std::string("seqref.check(") + kId + "): " + message);
}

struct Problem {
  Index C, L, N;
  bool batched;
  HippoConvention convention;
  LegsScheme scheme;
  LegsWeight weight;
};

Problem problem_of(const Inputs& in) {
  const Array& u = array(in, "u", kId);
  Problem p{1, 0, 0, u.shape.size() == 2, HippoConvention::paper, LegsScheme::bilinear, LegsWeight::inverse_k};
  if (p.batched) {
    const auto s = require_shape(kId, "u", u, {"C", "L"}, {});
    p.C = s[0], p.L = s[1];
  } else {
    p.L = require_shape(kId, "u", u, {"L"}, {})[0];
  }
  if (in.numbers.count("N") == 0) fail("missing number argument 'N' (the memory's size)");
  const double N = number(in, "N", 0);
  if (!(N >= 1 && N == std::floor(N) && N <= 1e6)) fail("N must be an integer >= 1; got " + std::to_string(N));
  p.N = static_cast<Index>(N);
  const std::string convention = string(in, "convention", "paper");
  if (convention == "post")
    p.convention = HippoConvention::post;
  else if (convention == "state_spaces")
    p.convention = HippoConvention::state_spaces;
  else if (convention != "paper")
    fail(
        "convention must be 'paper', 'state_spaces' (B_n = sqrt(2n+1)) or 'post' (B_n = sqrt(2) sqrt(2n+1)) for "
        "LegS; got '" +
        convention + "'");
  const std::string scheme = string(in, "scheme", "bilinear");
  if (scheme == "forward_euler")
    p.scheme = LegsScheme::forward_euler;
  else if (scheme == "backward_euler")
    p.scheme = LegsScheme::backward_euler;
  else if (scheme != "bilinear")
    fail("scheme must be 'bilinear', 'forward_euler' or 'backward_euler'; got '" + scheme + "'");
  const std::string weight = string(in, "weight", "inverse_k");
  if (weight == "log_ratio")
    p.weight = LegsWeight::log_ratio;
  else if (weight != "inverse_k")
    fail("weight must be 'inverse_k' or 'log_ratio'; got '" + weight + "'");
  const double dt = number(in, "dt", 1.0);
  if (!(std::isfinite(dt) && dt > 0)) fail("dt must be finite and > 0; got " + std::to_string(dt));
  return p;
}

// Channels `units` (sorted) in S, u rounded to S: legs_online_fast in long double (the truth of float64 candidates);
// otherwise, per channel, the farther from the long-double recurrence of legs_online_fast and legs_online_dense in S.
template <class S>
Values channels_in(const Inputs& in, std::span<const Index> units) {
  const Problem p = problem_of(in);
  const Array& u = array(in, "u", kId);
  Values out;
  out.reserve(units.size() * static_cast<std::size_t>(p.L * p.N));
  for (const Index c : units) {
    std::vector<S> uc(static_cast<std::size_t>(p.L));
    std::vector<long double> ul(uc.size());
    for (Index k = 0; k < p.L; ++k) {
      uc[static_cast<std::size_t>(k)] = number_as<S>(u.values[static_cast<std::size_t>(c * p.L + k)]);
      ul[static_cast<std::size_t>(k)] = widen<S>(uc[static_cast<std::size_t>(k)]);
    }
    const S b_scale = seqref::ref::legs_b_scale<S>(p.convention);
    const seqref::Matrix<S> fast = seqref::ref::legs_online_fast<S>(p.N, b_scale, uc, p.scheme, p.weight);
    const seqref::Matrix<S>* X = &fast;
    seqref::Matrix<S> dense;
    if constexpr (!std::is_same_v<S, long double>) {
      dense = seqref::ref::legs_online_dense<S>(p.N, b_scale, uc, p.scheme, p.weight);
      const seqref::Matrix<long double> exact = seqref::ref::legs_online_fast<long double>(
          p.N, seqref::ref::legs_b_scale<long double>(p.convention), ul, p.scheme, p.weight);
      long double e_fast = 0, e_dense = 0;
      for (Index k = 0; k < p.L; ++k)
        for (Index n = 0; n < p.N; ++n) {
          e_fast = std::max(e_fast, std::fabs(widen<S>(fast(k, n)) - exact(k, n)));
          e_dense = std::max(e_dense, std::fabs(widen<S>(dense(k, n)) - exact(k, n)));
        }
      if (!(e_dense <= e_fast)) X = &dense;  // the farther run (a non-finite one counts as farther)
    }
    for (Index k = 0; k < p.L; ++k)
      for (Index n = 0; n < p.N; ++n) out.emplace_back((c * p.L + k) * p.N + n, widen<S>((*X)(k, n)));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, hippo) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "u [L] or [C, L], N, convention ('paper' | 'state_spaces' | 'post', default 'paper'), scheme ('bilinear' | "
      "'forward_euler' | 'backward_euler', default 'bilinear'), weight ('inverse_k' | 'log_ratio', default "
      "'inverse_k'), dt (default 1; LegS is timescale invariant, it is only checked) -> states [L, N] or [C, L, N]: "
      "the LegS memory x_1..x_L, x_1 = B_0 u_0 e_0, x_{k+1} = (I - A/(2(k+1)))^-1 [(I + A/(2k)) x_k + w_k B u_k] "
      "(bilinear), as seqref.ref.legs_online";
  m.arrays = {"u"};
  m.numbers = {"N", "dt"};
  m.strings = {"convention", "scheme", "weight"};
  m.K = 4;
  m.K_reason =
      "a correct memory commits, per step, the rounding of one LegS matvec and one triangular solve plus the input "
      "term, and carries the earlier steps' rounding through the same contracting step matrices (the eigenvalues of "
      "(I - A/(2(k+1)))^-1 (I + A/(2k)) lie in (-1, 1]). How that rounding grows depends on the form: the dense "
      "solve's with N, the O(N) recurrence's with L; the yardstick is the larger of the two forms' errors, and a "
      "candidate in either form (or with precomputed step matrices, more accurate than both) stays within a small "
      "constant of it (the project's cpu K = 4)";
  m.unit_name = "channel";
  m.output_shape = [](const Inputs& in) {
    const Problem p = problem_of(in);
    const Array& u = array(in, "u", kId);
    for (std::size_t i = 0; i < u.values.size(); ++i)
      if (!std::isfinite(u.values[i])) fail("u has a non-finite value at flat index " + std::to_string(i));
    return p.batched ? std::vector<Index>{p.C, p.L, p.N} : std::vector<Index>{p.L, p.N};
  };
  m.units = [](const Inputs& in) { return problem_of(in).C; };
  m.unit_of = [](const Inputs& in, Index flat) {
    const Problem p = problem_of(in);
    return flat / (p.L * p.N);
  };
  m.work_per_unit = [](const Inputs& in) {
    const Problem p = problem_of(in);
    // the dense form: N²/2 for the matvec and N²/2 for the solve per step; the two O(N) runs: 2 · 15 N per step
    return static_cast<double>(p.L) * static_cast<double>(p.N) * static_cast<double>(p.N + 30);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return channels_in<S>(in, units); });
  };
  m.reference_name =
      "seqref::ref::legs_online_fast (O(N) matvec and the post's scalar recurrence; as the yardstick, channel by "
      "channel the farther from the long-double recurrence of it and the plain matrix form "
      "seqref::ref::legs_online_dense, dense matvec and forward substitution)";
  m.fast_truth = [](const Inputs& in) {
    const Problem p = problem_of(in);
    const Array& u = array(in, "u", kId);
    std::vector<double> out(static_cast<std::size_t>(p.C * p.L * p.N));
    if (p.scheme == LegsScheme::bilinear) {
      seqref::LegsOnlineOptions o;
      o.b_scale = seqref::ref::legs_b_scale<double>(p.convention);
      o.log_weight = p.weight == LegsWeight::log_ratio;
      seqref::cpu::hippo_legs_online(seqref::ConstTensorView<double>{u.values.data(), p.C, p.L, 1},
                                     seqref::TensorView<double>{out.data(), p.C, p.L, p.N}, o);
      return out;
    }
    for (Index c = 0; c < p.C; ++c) {
      const std::span<const double> uc(u.values.data() + c * p.L, static_cast<std::size_t>(p.L));
      const seqref::Matrix<double> X = seqref::ref::legs_online_fast<double>(
          p.N, seqref::ref::legs_b_scale<double>(p.convention), uc, p.scheme, p.weight);
      for (Index k = 0; k < p.L; ++k)
        for (Index n = 0; n < p.N; ++n) out[static_cast<std::size_t>((c * p.L + k) * p.N + n)] = X(k, n);
    }
    return out;
  };
  m.fast_truth_name =
      "seqref::cpu::hippo_legs_online (the bilinear scheme; forward/backward Euler: seqref::ref::legs_online_fast)";
  return m;
}
