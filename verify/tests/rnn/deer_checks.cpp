// `seqref report` checks for rnn/deer: the property functions of the test suites at small default sizes (each well
// under a second). Errors are in units of u of the precision under test.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/rnn/deer_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::deer {
namespace {

const std::string method(kMethod);

// ---- tiers 1-2 ---------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "newton fixed point = Oracle sequential (tanh, d=8, T=200, rho=0.9)", "ref",
                      [] { return outcome_of(fixed_point_vs_sequential(DeerMethod::newton, false, 8, 200, 0.9, 1)); });
SEQREF_REGISTER_CHECK(method, "fixed-A fixed point = Oracle sequential (GRU, d=4, T=100)", "ref",
                      [] { return outcome_of(fixed_point_vs_sequential(DeerMethod::fixed_a, true, 4, 100, 0.9, 2)); });
SEQREF_REGISTER_CHECK(method, "quasi-DEER fixed point = Oracle sequential (tanh, d=4, T=100)", "ref",
                      [] { return outcome_of(fixed_point_vs_sequential(DeerMethod::quasi, false, 4, 100, 0.9, 3)); });
SEQREF_REGISTER_CHECK(method, "states 1..k exact after k newton sweeps (tanh, d=4, T=30)", "ref",
                      [] { return outcome_of(exact_prefix(DeerMethod::newton, false, 4, 30, 0.9, 4)); });
SEQREF_REGISTER_CHECK(method, "states 1..k exact after k fixed-A sweeps (GRU, d=4, T=30)", "ref",
                      [] { return outcome_of(exact_prefix(DeerMethod::fixed_a, true, 4, 30, 0.9, 5)); });
SEQREF_REGISTER_CHECK(method, "affine cell: newton converges in 1 sweep", "ref",
                      [] { return outcome_of_property(affine_cell_one_sweep(4, 100, 6)); });
SEQREF_REGISTER_CHECK(method, "newton quadratic: e_{k+1} <= C e_k^2 + floor (d=8, T=200)", "ref",
                      [] { return outcome_of_property(newton_quadratic(8, 200, 0.9, 1).outcome); });
SEQREF_REGISTER_CHECK(method, "newton errors over 100 draws (d=8, T=200, rho=0.9): median [q1, q3] per sweep", "ref",
                      [] { return outcome_of_property(newton_error_distribution_check(8, 200, 0.9, 100, 6)); });
SEQREF_REGISTER_CHECK(method, "post's A_t = sech^2(u_t) A (at_zero): sweeps between newton and fixed-A (d=8, T=200)",
                      "ref", [] { return outcome_of_property(post_schemes_ordered(8, 200, 0.9, 1)); });
SEQREF_REGISTER_CHECK(method, "GRU post_fixed 0.5(I + 0.5 U_h) = Jacobian at 0 iff biases are 0; converges", "ref",
                      [] { return outcome_of_property(gru_post_matrix(GruConvention::cho, 1)); });
SEQREF_REGISTER_CHECK(method, "GRU torch convention: same, and post_fixed converges", "ref",
                      [] { return outcome_of_property(gru_post_matrix(GruConvention::torch, 1)); });
SEQREF_REGISTER_CHECK(method, "f32 newton error (whole trajectory) within 2x the f32 sequential loop's (d=8, T=200)",
                      "ref",
                      [] { return outcome_of_property(f32_deer_vs_loop("ref", DeerMethod::newton, 8, 200, 0.9, 1)); });
SEQREF_REGISTER_CHECK(method, "f32 newton on A = 50 I: non_finite without clip, converges with clip 1e8", "ref",
                      [] { return outcome_of_property(clip_rescues_expanding_f32("ref")); });
SEQREF_REGISTER_CHECK(method, "NaN/Inf and bad shapes/options throw invalid_argument", "ref",
                      [] { return outcome_of_property(bad_input_throws()); });
SEQREF_REGISTER_CHECK(method, "divergent fixed-A (A = 50 I) reported non_finite with best iterate", "ref",
                      [] { return outcome_of_property(divergence_reported("ref")); });
SEQREF_REGISTER_CHECK(method, "sweep limit reported max_sweeps with best iterate", "ref",
                      [] { return outcome_of_property(max_sweeps_reported("ref")); });

// ---- tier 3: cpu -------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "cpu sweep f64 (chunk 7) vs Oracle sweep (d=4, T=300)", "cpu",
                      [] { return outcome_of(cpu_sweep_vs_oracle<double>(DeerMethod::newton, 4, 300, 7, 0.9, 7)); });
SEQREF_REGISTER_CHECK(method, "cpu quasi sweep f32 (chunk 64) vs f64 sweep (d=8, T=1000)", "cpu",
                      [] { return outcome_of(cpu_sweep_vs_oracle<float>(DeerMethod::quasi, 8, 1000, 64, 0.9, 8)); });
SEQREF_REGISTER_CHECK(method, "cpu newton deer f64 vs Oracle sequential (d=8, T=200)", "cpu",
                      [] { return outcome_of(cpu_deer_vs_oracle<double>(DeerMethod::newton, 8, 200, 0.9, 9)); });
SEQREF_REGISTER_CHECK(method, "cpu newton deer f32 vs f64 sequential (d=1, T=20000)", "cpu", [] {
  auto o = outcome_of(cpu_deer_vs_oracle<float>(DeerMethod::newton, 1, 20000, 0.9, 10));
  // speedup: the optimized sequential loop over cpu DEER (honest: < 1 on few cores; DEER's target is the GPU)
  const auto cell = cast<float>(tanh_cell(1, 0.9, 10));
  const auto u = cast<float>(gaussian_inputs(20000, 1, 10));
  const double t_seq = median_seconds([&] { (void)cpu::rnn_sequential(cell, std::span<const float>(u), {}); }, 5);
  const double t_deer = median_seconds([&] { (void)cpu::deer(cell, std::span<const float>(u), {}); }, 3);
  o.speedup = t_seq / t_deer;
  o.detail += "; speedup column = sequential loop time / DEER time";
  return o;
});
// T <= 2: one and two steps (the first step has no x_{t-1} term from the iterate; one sweep must be exact)
SEQREF_REGISTER_CHECK(method, "cpu newton deer f64 vs Oracle sequential (d=3, T=1)", "cpu",
                      [] { return outcome_of(cpu_deer_vs_oracle<double>(DeerMethod::newton, 3, 1, 0.9, 13)); });
SEQREF_REGISTER_CHECK(method, "cpu newton deer f64 vs Oracle sequential (d=3, T=2)", "cpu",
                      [] { return outcome_of(cpu_deer_vs_oracle<double>(DeerMethod::newton, 3, 2, 0.9, 14)); });
SEQREF_REGISTER_CHECK(method, "cpu quasi deer f64 vs Oracle sequential (d=2, T=2)", "cpu",
                      [] { return outcome_of(cpu_deer_vs_oracle<double>(DeerMethod::quasi, 2, 2, 0.9, 15)); });
SEQREF_REGISTER_CHECK(method, "cpu sweep f64 (chunk 1) vs Oracle sweep (d=3, T=2)", "cpu",
                      [] { return outcome_of(cpu_sweep_vs_oracle<double>(DeerMethod::newton, 3, 2, 1, 0.9, 16)); });
SEQREF_REGISTER_CHECK(method, "cpu sweep f64 (chunk 7) vs Oracle sweep (d=1: newton as a diagonal scan, T=300)", "cpu",
                      [] { return outcome_of(cpu_sweep_vs_oracle<double>(DeerMethod::newton, 1, 300, 7, 0.9, 17)); });
SEQREF_REGISTER_CHECK(method, "cpu sequential loop f32 vs f64 (d=11, past the register block of 8)", "cpu",
                      [] { return outcome_of(cpu_sequential_vs_oracle<float>(11, 300, 0.9, 18)); });
SEQREF_REGISTER_CHECK(method, "cpu sequential loop f32 vs f64 (d=8, T=3000)", "cpu",
                      [] { return outcome_of(cpu_sequential_vs_oracle<float>(8, 3000, 0.9, 11)); });
// damping != 1 (a limit of the iteration: damping 1 is plain newton): the same sweeps as the reference
SEQREF_REGISTER_CHECK(method, "cpu newton deer, damping 0.7 and x0: same sweeps as the reference (d=3, T=100)", "cpu",
                      [] {
                        const auto cell = tanh_cell(3, 0.9, 4);
                        const auto u = gaussian_inputs(100, 3, 4);
                        const std::vector<double> x0{0.3, -0.2, 0.9};
                        DeerOptions<double> o;
                        o.damping = 0.7;
                        o.max_sweeps = 200;
                        o.tolerance = 1e-12;  // explicit: the default rule's last sweep is decided by rounding noise
                        const auto c = cpu::deer(cell, std::span<const double>(u), std::span<const double>(x0), o);
                        const auto r = ref::deer(cell, std::span<const double>(u), std::span<const double>(x0), o);
                        CheckOutcome out;
                        out.pass = c.converged && c.sweeps == r.sweeps;
                        out.detail = "cpu " + std::to_string(c.sweeps) + " sweeps (" +
                                     (c.converged ? "converged" : c.reason) + "), reference " +
                                     std::to_string(r.sweeps);
                        return out;
                      });
SEQREF_REGISTER_CHECK(method,
                      "cpu f32 newton error (whole trajectory) within 2x the f32 sequential loop's (d=8, T=200)", "cpu",
                      [] { return outcome_of_property(f32_deer_vs_loop("cpu", DeerMethod::newton, 8, 200, 0.9, 1)); });
SEQREF_REGISTER_CHECK(method, "cpu f32 newton on A = 50 I: non_finite without clip, converges with clip 1e8", "cpu",
                      [] { return outcome_of_property(clip_rescues_expanding_f32("cpu")); });
SEQREF_REGISTER_CHECK(method, "cpu at_zero sweep f64 (chunk 7) vs Oracle sweep (d=5, T=300)", "cpu",
                      [] { return outcome_of(cpu_sweep_vs_oracle<double>(DeerMethod::at_zero, 5, 300, 7, 0.9, 61)); });
SEQREF_REGISTER_CHECK(method, "cpu divergent fixed-A reported non_finite with best iterate", "cpu",
                      [] { return outcome_of_property(divergence_reported("cpu")); });

// ---- tier 3: cuda ------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(
    method, "cuda newton deer f32 vs f64 sequential (d=4, T=20000)", "cuda",
    [] {
      return cuda::available() ? outcome_of(cuda_deer_vs_oracle(DeerMethod::newton, 4, 20000, 0.9, 12))
                               : cuda_skipped();
    },
    "DeerCuda");

}  // namespace
}  // namespace seqref::verify::deer
