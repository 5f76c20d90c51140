// `seqref report` checks for ssm/s4: the property functions of the test suites at default sizes (well under 15 s
// in all). Errors are in units of u of the precision under test.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/ssm/s4_properties.hpp"

#include "seqref/opt/backend.hpp"

#include <cmath>
#include <sstream>

namespace seqref::verify::s4 {
namespace {

const std::string method(kMethod);

SEQREF_REGISTER_CHECK(method, "DPLR/Woodbury/Cauchy/iDFT kernel = Krylov powers at Oracle precision (odd+even L)",
                      "ref", [] {
                        double worst = 0;
                        for (Index L : {15, 16}) worst = std::max(worst, dplr_identity_oracle(8, L, 0.1, 1));
                        CheckOutcome o;
                        o.pass = worst < 1e-40;
                        o.detail = "max relative difference " + std::to_string(worst) +
                                   " (bound 1e-40) at N=8, L=15 and 16 (node z=-1 by its limit)";
                        return o;
                      });
SEQREF_REGISTER_CHECK(method, "S4 DPLR kernel f64 vs Oracle Krylov (N=32, L=256)", "ref",
                      [] { return outcome_of(reference_vs_oracle(32, 256, 0.05, 2, "dplr")); });
SEQREF_REGISTER_CHECK(method, "S4 DPLR kernel f64 vs Oracle Krylov, odd L (N=16, L=255)", "ref",
                      [] { return outcome_of(reference_vs_oracle(16, 255, 0.05, 3, "dplr")); });
SEQREF_REGISTER_CHECK(method, "length doubling: K_2L[:L] = K_L", "ref",
                      [] { return outcome_of(length_doubling(16, 100, 0.05, 4)); });
SEQREF_REGISTER_CHECK(method, "step (recurrent) mode = convolution mode", "ref",
                      [] { return outcome_of(step_vs_conv(16, 128, 0.05, 5)); });
SEQREF_REGISTER_CHECK(method, "S4D-Lin Vandermonde (ZOH) = Krylov of the real realization", "ref",
                      [] { return outcome_of(s4d_vs_krylov(ref::S4dInit::lin, 8, 200, 0.01, 6)); });
SEQREF_REGISTER_CHECK(method, "S4D-Inv Vandermonde (ZOH) = Krylov of the real realization", "ref",
                      [] { return outcome_of(s4d_vs_krylov(ref::S4dInit::inv, 8, 200, 0.01, 7)); });
SEQREF_REGISTER_CHECK(method, "Cauchy kernel f64 vs Oracle", "ref",
                      [] { return outcome_of(cauchy_reference_vs_oracle(64, 256, 8)); });
SEQREF_REGISTER_CHECK(method, "naive eigendecomposition of LegS degrades with N, NPLR does not", "ref", [] {
  const auto curve = eigendecomposition_curve({4, 16, 32}, 128, 0.05, 9);
  CheckOutcome o;
  std::ostringstream os;
  for (const auto& p : curve) os << "N=" << p.N << ": naive " << p.err_naive << ", NPLR " << p.err_nplr << "; ";
  o.pass = curve.back().err_naive > 1e6 * curve.front().err_naive && curve.back().err_nplr < 1e-12 &&
           curve.back().err_naive > 1e4 * curve.back().err_nplr;
  o.detail = os.str();
  return o;
});

SEQREF_REGISTER_CHECK(method, "post's eigenvector closed form S_n of -A (LegS) at Oracle precision (d=12)", "ref", [] {
  const auto c = legs_eigenvector_check(12);
  CheckOutcome o;
  o.pass = c.closed_form_rel < 1e-40 && c.eigen_residual < 1e-40;
  std::ostringstream os;
  os << "max relative difference " << c.closed_form_rel << ", residual " << c.eigen_residual
     << " (bound 1e-40), every lambda = 1..12";
  o.detail = os.str();
  return o;
});
SEQREF_REGISTER_CHECK(method, "erratum: S_{lambda-2} = 0, not the post's S_{lambda-1} = 0 (d=12)", "ref", [] {
  const auto c = legs_eigenvector_check(12);
  CheckOutcome o;
  o.pass = c.max_abs_below == 0.0 && c.min_abs_at_lm1 > 1e-30 && c.at_lm1_formula_rel < 1e-40;
  std::ostringstream os;
  os << "largest abs S_n for n <= lambda-2: " << c.max_abs_below << "; smallest abs S_{lambda-1}: " << c.min_abs_at_lm1
     << " (the post says 0)";
  o.detail = os.str();
  return o;
});
SEQREF_REGISTER_CHECK(method, "erratum: abs S_{d/3} ~ 1.93 d^{3/2} 2^{-4d/3}, not sqrt(d) 2^{-4d/3}", "ref", [] {
  const auto pts = s_third_asymptotics({300, 3000});
  const double c32 = 2 * std::sqrt(3.14159265358979323846) * std::pow(2.0 / 3.0, 1.5);
  CheckOutcome o;
  o.pass = std::abs(pts[1].over_d32 / c32 - 1) < 0.25 / 3000 && pts[1].over_sqrt_d / pts[0].over_sqrt_d > 9.9;
  std::ostringstream os;
  for (const auto& p : pts)
    os << "d=" << p.d << ": /(d^1.5 2^(-4d/3)) " << p.over_d32 << ", /(sqrt(d) 2^(-4d/3)) " << p.over_sqrt_d << "; ";
  o.detail = os.str();
  return o;
});

SEQREF_REGISTER_CHECK(method, "Cauchy kernel f32 within 2x of a straightforward f32 implementation (N=2048)", "cpu",
                      [] { return outcome_of(cpu_cauchy_vs_peer(4, 2048, 512, 19, true).judged); });
// 200 nodes: three float register tiles of 64 and a tail of 8 (the compiler-vectorized loop)
SEQREF_REGISTER_CHECK(method, "Cauchy kernel f32 vs f64 (200 nodes: register tiles + tail)", "cpu",
                      [] { return outcome_of(cpu_cauchy_vs_oracle<float>(2, 16, 200, 18)); });
// 2048 nodes: exactly two node blocks of 1024 (a block misplaced by one node leaves the last one unwritten; the
// output is NaN-poisoned)
SEQREF_REGISTER_CHECK(method, "Cauchy kernel f32 vs f64 (2048 nodes: two node blocks)", "cpu",
                      [] { return outcome_of(cpu_cauchy_vs_oracle<float>(2, 16, 2048, 20)); });
// 70 poles: two full pole blocks of 32 (the partial sums added in double) and a tail of 6
SEQREF_REGISTER_CHECK(method, "Cauchy kernel f64 vs Oracle (70 poles: pole blocks of 32 + tail)", "cpu",
                      [] { return outcome_of(cpu_cauchy_vs_oracle<double>(2, 70, 130, 11)); });
SEQREF_REGISTER_CHECK(method, "Vandermonde kernel f32 vs f64 (S4D-Lin, L=4096)", "cpu",
                      [] { return outcome_of(cpu_vandermonde_vs_oracle<float>(4, 64, 4096, 12)); });
SEQREF_REGISTER_CHECK(method, "Vandermonde kernel f64 vs Oracle", "cpu",
                      [] { return outcome_of(cpu_vandermonde_vs_oracle<double>(2, 8, 200, 13)); });
SEQREF_REGISTER_CHECK(method, "S4 DPLR kernel path f32 vs f64 (LegS N=32, L=1024)", "cpu",
                      [] { return outcome_of(cpu_s4_vs_oracle<float>(4, 32, 1024, 14)); });
// past the node block of 1024 frequencies per task, even L (the node z = -1 by its limit (dt/2) C~B)
SEQREF_REGISTER_CHECK(method, "S4 DPLR kernel path f32 vs f64 (N=4, L=2050: three node blocks, even)", "cpu",
                      [] { return outcome_of(cpu_s4_vs_oracle<float>(2, 4, 2050, 16)); });
SEQREF_REGISTER_CHECK(method, "S4 DPLR kernel path f64 vs Oracle (N=8, L=64)", "cpu",
                      [] { return outcome_of(cpu_s4_vs_oracle<double>(2, 8, 64, 15)); });

CheckOutcome cuda_check(bool cauchy) {
  if (!cuda::available()) return cuda_skipped();
  return outcome_of(cauchy ? cuda_cauchy_vs_oracle(8, 64, 4096, 16) : cuda_vandermonde_vs_oracle(8, 64, 4096, 17));
}
SEQREF_REGISTER_CHECK(
    method, "Cauchy kernel f32 vs f64", "cuda", [] { return cuda_check(true); }, "S4Cuda");
SEQREF_REGISTER_CHECK(
    method, "Vandermonde kernel f32 vs f64", "cuda", [] { return cuda_check(false); }, "S4Cuda");

}  // namespace
}  // namespace seqref::verify::s4
