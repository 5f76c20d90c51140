// `seqref report` checks for ssm/hippo: the property functions of the test suites at default sizes. Errors are in
// units of u of the precision under test.

#include "verify/support/inputs.hpp"
#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/ssm/hippo_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::hippo {
namespace {

const std::string method(kMethod);

SEQREF_REGISTER_CHECK(method, "A, B of every (measure, convention) vs Oracle", "ref",
                      [] { return outcome_of(transition_vs_oracle(32)); });
SEQREF_REGISTER_CHECK(method, "LegS A + vv'/2 + I/2 skew (N = 257)", "ref", [] {
  CheckOutcome o;
  o.error_u = legs_skew_defect_u(257);
  o.bound_u = 4;
  o.pass = o.error_u <= o.bound_u;
  o.detail = "||M + M'||_F / ||A||_F, M = A + vv'/2 + I/2";
  return o;
});
SEQREF_REGISTER_CHECK(method, "O(N) solve of (I - lambda A)z = v vs dense (Oracle)", "ref",
                      [] { return outcome_of(legs_solve_vs_dense(129, 1.0 / 2048, 1)); });
SEQREF_REGISTER_CHECK(method, "LegS bilinear memory vs Oracle", "ref", [] {
  return outcome_of(legs_online_vs_oracle(32, 500, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k, 2));
});
SEQREF_REGISTER_CHECK(method, "LegS timescale invariance (dt = 1e-3 vs 1)", "ref", [] {
  return outcome_of(timescale_invariance(16, 300, 1e-3, ref::LegsScheme::bilinear, ref::LegsWeight::log_ratio, 3));
});
SEQREF_REGISTER_CHECK(method, "LegT reconstruction error decreases in N (post's signal, window 1)", "ref", [] {
  const auto rows = reconstruction_experiment(ref::HippoMeasure::legt, {4, 8, 16, 32}, 1000);
  CheckOutcome o;
  o.pass = true;
  for (std::size_t i = 1; i < rows.size(); ++i)
    o.pass = o.pass && rows[i].ode_rms < rows[i - 1].ode_rms && rows[i].projection_rms < rows[i - 1].projection_rms;
  char buf[256];
  std::snprintf(buf, sizeof buf, "window [0, 1], empty start: ODE rms %.1e %.1e %.1e %.1e at N = 4, 8, 16, 32",
                rows[0].ode_rms, rows[1].ode_rms, rows[2].ode_rms, rows[3].ode_rms);
  o.detail = buf;
  return o;
});
// The figures are a reconstruction's (an earlier catalogue's), not the post's: 10114/10137 contain no experiment.
SEQREF_REGISTER_CHECK(method, "LegT figures 3.1e-2 1.9e-4 1.4e-5 8.3e-7 in the found setting (two digits)", "ref", [] {
  const LegtSetting found;
  const auto e = legt_window_errors(found, kLegtFigureNs);
  CheckOutcome o;
  o.pass = true;
  for (std::size_t i = 0; i < e.size(); ++i) o.pass = o.pass && agrees_to_two_digits(e[i].rms, kLegtFigures[i]);
  char buf[320];
  std::snprintf(buf, sizeof buf, "rms %.2e %.2e %.2e %.2e at N = 4, 8, 16, 32 (reconstruction's figures); %s", e[0].rms,
                e[1].rms, e[2].rms, e[3].rms, describe(found).c_str());
  o.detail = buf;
  return o;
});
SEQREF_REGISTER_CHECK(method, "Full-history Fourier (10137): truncated coefficients converge as M grows", "ref", [] {
  const auto rows = fourier_truncation({2, 4, 8, 16, 32});
  CheckOutcome o;
  o.pass = true;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    o.pass = o.pass && rows[i].c0_error < 1e-9;
    if (i > 0) o.pass = o.pass && rows[i].low_error < rows[i - 1].low_error;
  }
  o.pass = o.pass && rows.back().low_error < 0.25 * rows.front().low_error;
  char buf[256];
  std::snprintf(buf, sizeof buf, "max error of abs(n) <= 2 at M = 2, 4, 8, 16, 32: %.1e %.1e %.1e %.1e %.1e; c_0 exact",
                rows[0].low_error, rows[1].low_error, rows[2].low_error, rows[3].low_error, rows[4].low_error);
  o.detail = buf;
  return o;
});

SEQREF_REGISTER_CHECK(method, "LegS online f32 vs f64 oracle (C = 64, L = 1024, N = 64)", "cpu", [] {
  auto o = outcome_of(cpu_vs_oracle<float>(64, 1024, 64, false, 4));
  const Tensor3<float> u = make_tensor<float>(64, 1024, 1, Values::normal, 4);
  Tensor3<float> out(64, 1024, 64);
  const double t_ref = median_seconds([&] {
    for (Index c = 0; c < 64; ++c)
      (void)ref::legs_online_fast<float>(64, 1.0f, std::span<const float>(u.data() + c * 1024, 1024),
                                         ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k);
  });
  const double t_cpu = median_seconds([&] { cpu::hippo_legs_online(u.view(), out.view()); }, 5);
  o.speedup = t_ref / t_cpu;
  return o;
});
SEQREF_REGISTER_CHECK(method, "LegS online f64 vs Oracle (C = 9, L = 200, N = 17)", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(9, 200, 17, true, 5)); });
// b_scale != 1 (the first step is B_0 u_0 = b_scale u_0) and channels past two lane blocks (16 floats, 8 doubles)
SEQREF_REGISTER_CHECK(method, "LegS online f32 vs f64, b_scale 1.5, C = 33 (two lane blocks + 1), L = 65, N = 16",
                      "cpu", [] { return outcome_of(cpu_vs_oracle<float>(33, 65, 16, false, 6, 1.5)); });
SEQREF_REGISTER_CHECK(method, "LegS online f64 vs Oracle, b_scale 0.5, C = 17 (two lane blocks + 1), L = 33, N = 5",
                      "cpu", [] { return outcome_of(cpu_vs_oracle<double>(17, 33, 5, true, 7, 0.5)); });

SEQREF_REGISTER_CHECK(
    method, "LegS online fp32 vs f64 oracle", "cuda",
    [] {
      if (!cuda::available()) return cuda_skipped();
      return outcome_of(cuda_vs_oracle(1000, 1024, 64, false, 6));
    },
    "HippoCuda");

}  // namespace
}  // namespace seqref::verify::hippo
