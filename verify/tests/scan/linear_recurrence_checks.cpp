// `seqref report` checks for the scan engine (x_t = J_t x_{t−1} + b_t): the property functions of the test suites
// at fixed sizes. Errors are in model units u·E (linear_recurrence_properties.hpp), not plain u.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/tests/scan/linear_recurrence_properties.hpp"

namespace seqref::verify::scan {
namespace {

const std::string method(kMethod);

SEQREF_REGISTER_CHECK(method, "reference f64 vs Oracle, diagonal J, T=2049 (model units)", "ref",
                      [] { return outcome_of(reference_vs_oracle<double>(Transition::diagonal, 2, 2049, 3, 1.0, 1)); });
SEQREF_REGISTER_CHECK(method, "reference f64 vs Oracle, dense 4x4 J, T=2049 (model units)", "ref",
                      [] { return outcome_of(reference_vs_oracle<double>(Transition::dense, 1, 2049, 4, 1.0, 2)); });
SEQREF_REGISTER_CHECK(method, "split at t=127 and carry = one run (ref and cpu)", "ref",
                      [] { return outcome_of(split_carry_bit_identical(Transition::diagonal, 2, 2049, 3, 127, 3)); });
SEQREF_REGISTER_CHECK(method, "cpu f64 chunked (chunk 7) vs Oracle, scalar J, T=2049", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<double>(Transition::scalar, 2, 2049, 5, 1.0, 7, 2, 4)); });
SEQREF_REGISTER_CHECK(method, "cpu f32 chunked (auto) vs Oracle, diagonal J, 1 lane, T=100000", "cpu", [] {
  return outcome_of(cpu_vs_oracle<float>(Transition::diagonal, 1, 100000, 1, 1.0, 0, 2, 5));
});
SEQREF_REGISTER_CHECK(method, "cpu f32 chunked (chunk 128) vs Oracle, dense 8x8 J, T=2048", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<float>(Transition::dense, 1, 2048, 8, 1.0, 128, 2, 6)); });
// D > 512: a sequence's entries split into groups of 256; D = 3·256 − 1 (a partial third group): with D = 600
// a group offset off by one still covers every entry and computes each one right (an equivalent shape)
SEQREF_REGISTER_CHECK(method, "cpu f32 diagonal J, D=767 (entry groups of 256, the third partial), T=129", "cpu",
                      [] { return outcome_of(cpu_vs_oracle<float>(Transition::diagonal, 2, 129, 767, 1.0, 0, 2, 8)); });
SEQREF_REGISTER_CHECK(method, "cpu: 1 vs 2 threads at chunk 64", "cpu",
                      [] { return outcome_of(cpu_threads_bit_identical(Transition::dense, 2, 2049, 3, 64, 2, 7)); });
SEQREF_REGISTER_CHECK(
    method, "cuda f32 block scan vs Oracle, diagonal J, T=10000", "cuda",
    [] {
      return cuda::available() ? outcome_of(cuda_vs_oracle(Transition::diagonal, 2, 10000, 3, 1.0, 8)) : cuda_skipped();
    },
    "ScanCuda");
SEQREF_REGISTER_CHECK(
    method, "cuda f32 block scan vs Oracle, dense 4x4 J, T=2049", "cuda",
    [] {
      return cuda::available() ? outcome_of(cuda_vs_oracle(Transition::dense, 2, 2049, 4, 1.0, 9)) : cuda_skipped();
    },
    "ScanCuda");

}  // namespace
}  // namespace seqref::verify::scan
