// `seqref report` checks for ssm/rtf (and the shared FFTs it is built on): the property functions of the test
// suites at default sizes. Errors are in units of u of the precision under test.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/ssm/fft_properties.hpp"
#include "verify/tests/ssm/rtf_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::rtf {
namespace {

const std::string method(kMethod);

// ---- tier 2 ----------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "eq.(2) FFT kernel vs Oracle (error/kappa)", "ref",
                      [] { return outcome_of(kernel_vs_oracle(8, 256, 0.9, 1)); });
SEQREF_REGISTER_CHECK(method, "FFT kernel = aliased companion recurrence (error/kappa)", "ref",
                      [] { return outcome_of(kernel_vs_aliased_recurrence(8, 100, 0.9, 2)); });
SEQREF_REGISTER_CHECK(method, "companion recurrence = dense powers (error/kappa)", "ref",
                      [] { return outcome_of(recurrence_vs_dense_powers(8, 256, 0.9, 3)); });
SEQREF_REGISTER_CHECK(method, "a = 0 gives the FIR filter b", "ref", [] { return outcome_of(fir_kernel(16, 64, 4)); });
SEQREF_REGISTER_CHECK(method, "dense (A,B,C~) -> (a,b) reproduces C A^k B (f64, N=4)", "ref",
                      [] { return outcome_of(dense_conversion_vs_oracle(4, 64, 0.9, 5)); });
SEQREF_REGISTER_CHECK(method, "dense -> (a,b) -> kernel = C A^k B at Oracle (N=8)", "ref", [] {
  return outcome_within(dense_conversion_identity_u(8, 64, 0.9, 6), 1e-20,
                        "identity of eqs.(4)-(5) at 50 digits, in u of f64");
});
SEQREF_REGISTER_CHECK(method, "similarity invariance of (a,b) at Oracle (N=6)", "ref", [] {
  return outcome_within(similarity_invariance_u(6, 0.9, 7), 1e-20,
                        "(a,b) of T^-1AT, T^-1B, CT vs of A, B, C; in u of f64");
});
SEQREF_REGISTER_CHECK(method, "similarity invariance of (a,b) in f64 (N=5)", "ref",
                      [] { return outcome_of(similarity_invariance_double(5, 0.9, 8)); });
SEQREF_REGISTER_CHECK(method, "dense -> (a,b) f64 at its max order N=40, poles to 0.97 (kernel, bound 1e5 u)", "ref",
                      [] {
                        return outcome_within(
                            conversion_kernel_error<double>(ref::rtf_from_dense_max_order<double>(), 256, 0.97, 1) /
                                unit_roundoff<double>(),
                            1e5, "Hessenberg + La Budde a, Markov b, eq.(2) vs C A^k B at Oracle; refused past N=40");
                      });
SEQREF_REGISTER_CHECK(method, "post: sum|a_i| < 1 => roots inside the unit circle (Schur-Cohn, Oracle)", "ref", [] {
  int outside = 0;  // 200 draws, N = 1..64, sum|a_i| up to 1 - 1e-12
  for (std::uint64_t s = 0; s < 200; ++s) {
    const auto a = coefficients_in_l1_ball(1 + Index(s % 64), s % 2 ? 1e-12 : 1e-3, s);
    if (!ref::roots_inside_unit_circle(std::vector<Oracle>(a.begin(), a.end()))) ++outside;
  }
  return outcome_within(outside, 0, "draws with a root on or outside the circle, of 200");
});
SEQREF_REGISTER_CHECK(method, "post: C-bar = C-tilde (I - A^L)^-1 gives eq.(2)'s taps (f64, N=8, L=64)", "ref",
                      [] { return outcome_of(recovered_system_reproduces_kernel(8, 64, 0.9, 9)); });

// ---- tier 3: cpu -------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "cpu kernel f64 vs Oracle (3 channels, N=16, L=100)", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(3, 16, 100, 0.9, 9)); });
SEQREF_REGISTER_CHECK(method, "cpu kernel f32 vs f64 (64 channels, N=16, L=4096)", "cpu", [] {
  auto o = outcome_of(cpu_vs_oracle<float>(64, 16, 4096, 0.9, 10));
  // speedup: the f32 reference (eq. 2 per channel) over the cpu kernel (all channels), median of 3
  const Index channels = 64, N = 16, L = 4096;
  std::vector<float> a, b;
  std::vector<ref::RtfCoefficients<float>> cs;
  for (Index c = 0; c < channels; ++c) {
    cs.push_back(cast<float>(stable_rtf(N, 0.9, 100 + std::uint64_t(c))));
    a.insert(a.end(), cs.back().a.begin(), cs.back().a.end());
    b.insert(b.end(), cs.back().b.begin(), cs.back().b.end());
  }
  std::vector<float> out(channels * L);
  const double t_ref = median_seconds([&] {
    for (const auto& c : cs) (void)ref::rtf_kernel(c.a, c.b, L);
  });
  const double t_cpu = median_seconds([&] { cpu::rtf_kernel(a, b, out, channels, N, L); }, 5);
  o.speedup = t_ref / t_cpu;
  return o;
});
// N > L: the coefficients of exponent >= L fold modulo L (the kernel of length L only sees G at the L-th roots)
SEQREF_REGISTER_CHECK(method, "cpu kernel f64 vs Oracle, N > L (fold: 2 channels, N=16, L=5)", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(2, 16, 5, 0.9, 19)); });
SEQREF_REGISTER_CHECK(method, "cpu kernel f64 vs Oracle, N = L + 1 (2 channels, N=8, L=7)", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(2, 8, 7, 0.9, 20)); });
SEQREF_REGISTER_CHECK(method, "cpu kernel f64 vs Oracle, L = 1 (N=4)", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(1, 4, 1, 0.9, 21)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu dft_batched f64 vs Oracle (n=97, Bluestein)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_dft_vs_oracle<double>(3, 97, false, 11)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu dft_batched f64 vs Oracle (n=96, inverse)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_dft_vs_oracle<double>(3, 96, true, 12)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu dft_batched f64 vs Oracle (n=97, Bluestein, inverse)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_dft_vs_oracle<double>(2, 97, true, 22)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu dft_batched f64 vs Oracle (n=1, the identity)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_dft_vs_oracle<double>(2, 1, false, 23)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu dft_batched f32 vs f64 (n=3072)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_dft_vs_oracle<float>(4, 3072, false, 13)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu causal_conv f64 vs Oracle direct sum (L=257)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_causal_conv_vs_oracle<double>(2, 257, 14)); });
SEQREF_REGISTER_CHECK(method, "fft: cpu causal_conv f32 vs f64 direct sum (L=1000)", "cpu",
                      [] { return outcome_of(ssm_fft::cpu_causal_conv_vs_oracle<float>(4, 1000, 15)); });

// ---- tier 3: cuda ------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(
    method, "cuda kernel f32 vs f64 (8 channels, N=16, L=4096)", "cuda",
    [] { return cuda::available() ? outcome_of(cuda_vs_oracle(8, 16, 4096, 0.9, 16)) : cuda_skipped(); }, "RtfCuda");
SEQREF_REGISTER_CHECK(
    method, "fft: cuda dft_batched f32 vs f64 (n=3072)", "cuda",
    [] { return cuda::available() ? outcome_of(ssm_fft::cuda_dft_vs_oracle(4, 3072, false, 17)) : cuda_skipped(); },
    "FftCuda");
SEQREF_REGISTER_CHECK(
    method, "fft: cuda causal_conv f32 vs f64 (L=1000)", "cuda",
    [] { return cuda::available() ? outcome_of(ssm_fft::cuda_causal_conv_vs_oracle(4, 1000, 18)) : cuda_skipped(); },
    "FftCuda");

}  // namespace
}  // namespace seqref::verify::rtf
