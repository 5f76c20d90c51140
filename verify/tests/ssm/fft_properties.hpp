#pragma once
/// \file
/// Properties of the optimized FFTs (seqref/opt/ssm/fft.hpp), written once and used by the tests
/// (fft_equiv_test.cpp, fft_cuda_test.cpp) and by `seqref report` (fft_checks.cpp). The tolerance rows are in
/// verify/support/tolerances/ssm_rtf.inc (method "ssm/rtf", ops "dft" and "causal_conv").
///
/// Oracles: for float the double reference; for double the 50-digit reference (O(n²) `dft` at small n, radix-2
/// `fft` at powers of two). The "reference" of the tier-3 rule is the same-precision seqref::ref::fft (powers of
/// two) or seqref::ref::dft (any other n), and seqref::ref::causal_conv_fft for the convolution.

#include "verify/support/harness.hpp"

#include "seqref/core/tensor.hpp"

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::ssm_fft {

inline constexpr std::string_view kMethod = "ssm/rtf";

/// `batch` rows of n complex N(0,1) values, row-major, from the seed.
template <class S>
std::vector<std::complex<S>> random_rows(Index batch, Index n, std::uint64_t seed);

/// cpu::dft_batched (forward or inverse) vs the oracle, relative to the same-precision reference.
template <class S>
Measured cpu_dft_vs_oracle(Index batch, Index n, bool inverse, std::uint64_t seed);

/// cpu::causal_conv vs the direct O(L²) sum at the oracle precision, relative to ref::causal_conv_fft.
/// The kernel decays like e^{−0.02 t} (an SSM-like kernel); u is N(0, 1).
template <class S>
Measured cpu_causal_conv_vs_oracle(Index channels, Index L, std::uint64_t seed);

/// The same for the CUDA backend (float; oracle: the double reference). Requires a device.
Measured cuda_dft_vs_oracle(Index batch, Index n, bool inverse, std::uint64_t seed);
Measured cuda_causal_conv_vs_oracle(Index channels, Index L, std::uint64_t seed);

/// Every row of one batched call equals that row transformed alone (bit for bit): no dependence on batching or
/// threads. Returns true when identical.
template <class S>
bool batch_independence(Index batch, Index n, bool inverse, std::uint64_t seed);

/// ‖IDFT(DFT(x)) − x‖ / ‖x‖ in units of u, both transforms by cpu::dft_batched (sizes too large for an oracle).
template <class S>
double roundtrip_error_u(Index batch, Index n, std::uint64_t seed);

}  // namespace seqref::verify::ssm_fft
