// Properties of the scan engine; see linear_recurrence_properties.hpp for the error model.

#include "verify/tests/scan/linear_recurrence_properties.hpp"

#include "seqref/core/oracle.hpp"
#include "seqref/core/random.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace seqref::verify::scan {

namespace {

template <class S>
std::vector<S> cast(const std::vector<double>& v) {
  return std::vector<S>(v.begin(), v.end());
}

std::string describe(const Problem& p, double rho) {
  return std::string(to_string(p.kind)) + " J, B=" + std::to_string(p.batch) + " T=" + std::to_string(p.len) +
         " D=" + std::to_string(p.dim) + " rho=" + std::to_string(rho).substr(0, 4) +
         (p.x0.empty() ? ", x0=0" : ", x0 given");
}

template <class S>
bool same_bits(const std::vector<S>& a, const std::vector<S>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(S)) == 0;
}

}  // namespace

Problem make_problem(Transition kind, Index batch, Index len, Index dim, double rho, bool with_x0, std::uint64_t seed) {
  Problem p;
  p.kind = kind;
  p.batch = batch;
  p.len = len;
  p.dim = dim;
  SplitMix64 rng(seed);
  const Index steps = batch * len, JD = transition_size(kind, dim);
  p.J.resize(static_cast<std::size_t>(steps * JD));
  if (kind == Transition::dense) {
    for (Index s = 0; s < steps; ++s) {
      double fro = 0;
      for (Index k = 0; k < JD; ++k) {
        const double g = rng.normal();
        p.J[static_cast<std::size_t>(s * JD + k)] = g;
        fro += g * g;
      }
      for (Index k = 0; k < JD; ++k) p.J[static_cast<std::size_t>(s * JD + k)] *= rho / std::sqrt(fro);
    }
  } else {
    for (auto& a : p.J) a = rho * (2 * rng.uniform() - 1);
  }
  p.b.resize(static_cast<std::size_t>(steps * dim));
  for (auto& v : p.b) v = rng.normal();
  if (with_x0) {
    p.x0.resize(static_cast<std::size_t>(batch * dim));
    for (auto& v : p.x0) v = rng.normal();
  }
  return p;
}

std::vector<double> error_model(const Problem& p) {
  return recurrence_error_model(p.kind, p.batch, p.len, p.dim, p.J, p.b, p.x0);
}

std::vector<long double> oracle_solution(const Problem& p) {
  const auto J = cast<Oracle>(p.J), b = cast<Oracle>(p.b), x0 = cast<Oracle>(p.x0);
  std::vector<Oracle> x(static_cast<std::size_t>(p.batch * p.len * p.dim));
  ref::linear_recurrence<Oracle>(p.view<Oracle>(J, b, x0), x);
  std::vector<long double> out(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) out[k] = static_cast<long double>(x[k]);
  return out;
}

template <class S>
Measured reference_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, std::uint64_t seed) {
  const Problem p = make_problem(kind, batch, len, dim, rho, seed % 2 == 0, seed);
  const auto J = cast<S>(p.J), b = cast<S>(p.b), x0 = cast<S>(p.x0);
  // float runs are judged against the Oracle of the float-rounded inputs
  Problem ps = p;
  ps.J.assign(J.begin(), J.end());
  ps.b.assign(b.begin(), b.end());
  ps.x0.assign(x0.begin(), x0.end());
  std::vector<S> x(static_cast<std::size_t>(batch * len * dim));
  ref::linear_recurrence<S>(ps.view<S>(J, b, x0), x);
  const double err = model_error(x, oracle_solution(ps), error_model(ps));
  const Precision prec = precision_of<S>();
  return {judge_absolute(tolerance(kMethod, "sequential", prec, Backend::ref), err),
          "reference " + describe(p, rho) + ", error in model units u*E"};
}

template <class S>
Measured cpu_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, Index chunk, int threads,
                       std::uint64_t seed) {
  Problem p = make_problem(kind, batch, len, dim, rho, seed % 2 == 0, seed);
  const auto J = cast<S>(p.J), b = cast<S>(p.b), x0 = cast<S>(p.x0);
  p.J.assign(J.begin(), J.end());
  p.b.assign(b.begin(), b.end());
  p.x0.assign(x0.begin(), x0.end());
  const auto exact = oracle_solution(p);
  const auto E = error_model(p);
  const auto view = p.view<S>(J, b, x0);
  std::vector<S> xr(exact.size()), xo = poisoned<S>(exact.size());
  std::vector<S> xf = poisoned<S>(static_cast<std::size_t>(batch * dim));
  ref::linear_recurrence<S>(view, xr);
  const Index used = cpu::linear_recurrence(view, xo, xf, ScanSchedule{chunk, threads});
  bool final_is_last = true;
  for (Index beta = 0; beta < batch; ++beta)
    final_is_last = final_is_last && std::memcmp(xf.data() + beta * dim, xo.data() + ((beta + 1) * len - 1) * dim,
                                                 static_cast<std::size_t>(dim) * sizeof(S)) == 0;
  const Precision prec = precision_of<S>();
  Verdict v = judge_relative(tolerance(kMethod, "chunked", prec, Backend::cpu), model_error(xo, exact, E),
                             model_error(xr, exact, E));
  v.pass = v.pass && final_is_last;
  return {v, "cpu " + describe(p, rho) + ", chunk " + std::to_string(used) + ", " + std::to_string(threads) +
                 " threads, error in model units u*E" + (final_is_last ? "" : "; x_final differs from x[T-1]")};
}

Measured cuda_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, std::uint64_t seed) {
  Problem p = make_problem(kind, batch, len, dim, rho, seed % 2 == 0, seed);
  const auto J = cast<float>(p.J), b = cast<float>(p.b), x0 = cast<float>(p.x0);
  p.J.assign(J.begin(), J.end());
  p.b.assign(b.begin(), b.end());
  p.x0.assign(x0.begin(), x0.end());
  const auto exact = oracle_solution(p);
  const auto E = error_model(p);
  const auto view = p.view<float>(J, b, x0);
  std::vector<float> xr(exact.size()), xo = poisoned<float>(exact.size());
  std::vector<float> xf = poisoned<float>(static_cast<std::size_t>(batch * dim));
  ref::linear_recurrence<float>(view, xr);
  cuda::linear_recurrence(view, xo, xf);
  bool final_is_last = true;
  for (Index beta = 0; beta < batch; ++beta)
    final_is_last = final_is_last && std::memcmp(xf.data() + beta * dim, xo.data() + ((beta + 1) * len - 1) * dim,
                                                 static_cast<std::size_t>(dim) * sizeof(float)) == 0;
  Verdict v = judge_relative(tolerance(kMethod, "block_scan", Precision::f32, Backend::cuda), model_error(xo, exact, E),
                             model_error(xr, exact, E));
  v.pass = v.pass && final_is_last;
  return {v, "cuda " + describe(p, rho) + ", error in model units u*E" +
                 (final_is_last ? "" : "; x_final differs from x[T-1]")};
}

Exact cpu_threads_bit_identical(Transition kind, Index batch, Index len, Index dim, Index chunk, int threads,
                                std::uint64_t seed) {
  const Problem p = make_problem(kind, batch, len, dim, 1.0, true, seed);
  const auto J = cast<float>(p.J), b = cast<float>(p.b), x0 = cast<float>(p.x0);
  const auto view = p.view<float>(J, b, x0);
  std::vector<float> x1(static_cast<std::size_t>(batch * len * dim)), xn(x1.size());
  const Index used = cpu::linear_recurrence(view, x1, {}, ScanSchedule{chunk, 1});
  cpu::linear_recurrence(view, xn, {}, ScanSchedule{chunk, threads});
  return {same_bits(x1, xn), "cpu f32 " + describe(p, 1.0) + ", chunk " + std::to_string(used) + ": 1 vs " +
                                 std::to_string(threads) + " threads"};
}

Exact split_carry_bit_identical(Transition kind, Index batch, Index len, Index dim, Index split, std::uint64_t seed) {
  const Problem p = make_problem(kind, batch, len, dim, 1.0, true, seed);
  const Index JD = transition_size(kind, dim);
  const auto J = cast<double>(p.J), b = cast<double>(p.b), x0 = cast<double>(p.x0);
  // one run
  std::vector<double> whole(static_cast<std::size_t>(batch * len * dim)), whole_cpu(whole.size());
  ref::linear_recurrence<double>(p.view<double>(J, b, x0), whole);
  cpu::linear_recurrence(p.view<double>(J, b, x0), whole_cpu, {}, ScanSchedule{len, 1});
  // two runs: [0, split) then [split, T) from the carried state; pieces are re-packed per sequence
  auto piece = [&](const std::vector<double>& v, Index per_step, Index t0, Index t1) {
    std::vector<double> out;
    for (Index beta = 0; beta < batch; ++beta)
      out.insert(out.end(), v.begin() + (beta * len + t0) * per_step, v.begin() + (beta * len + t1) * per_step);
    return out;
  };
  bool pass = true;
  for (int backend = 0; backend < 2; ++backend) {
    const auto J1 = piece(J, JD, 0, split), b1 = piece(b, dim, 0, split);
    const auto J2 = piece(J, JD, split, len), b2 = piece(b, dim, split, len);
    std::vector<double> x1(static_cast<std::size_t>(batch * split * dim)), carry(static_cast<std::size_t>(batch * dim));
    std::vector<double> x2(static_cast<std::size_t>(batch * (len - split) * dim));
    const LinearRecurrence<double> first{kind, batch, split, dim, J1, b1, x0};
    const LinearRecurrence<double> second{kind, batch, len - split, dim, J2, b2, carry};
    if (backend == 0) {
      ref::linear_recurrence<double>(first, x1, carry);
      ref::linear_recurrence<double>(second, x2);
    } else {
      cpu::linear_recurrence(first, x1, carry, ScanSchedule{split, 1});
      cpu::linear_recurrence(second, x2, {}, ScanSchedule{len - split, 1});
    }
    const auto& one = backend == 0 ? whole : whole_cpu;
    pass = pass && same_bits(piece(one, dim, 0, split), x1) && same_bits(piece(one, dim, split, len), x2);
  }
  return {pass, "f64 " + describe(p, 1.0) + " split at " + std::to_string(split) + ", reference and cpu (one chunk)"};
}

#define SEQREF_INSTANTIATE(S)                                                                       \
  template Measured reference_vs_oracle<S>(Transition, Index, Index, Index, double, std::uint64_t); \
  template Measured cpu_vs_oracle<S>(Transition, Index, Index, Index, double, Index, int, std::uint64_t);
SEQREF_INSTANTIATE(float)
SEQREF_INSTANTIATE(double)
#undef SEQREF_INSTANTIATE

}  // namespace seqref::verify::scan
