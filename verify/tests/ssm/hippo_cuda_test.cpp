// Tier 3 for ssm/hippo on the CUDA backend (CTest label `gpu`): skipped with "no CUDA device" where there is none;
// run by tools/gpu-verify on a GPU machine.

#include "verify/support/generators.hpp"
#include "verify/support/gpu.hpp"
#include "verify/support/inputs.hpp"
#include "verify/tests/ssm/hippo_properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace seqref::verify::hippo {
namespace {

TEST(HippoCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // channels past one block of lanes (129), a state of 16
  const auto m = cuda_vs_oracle(129, 50, 16, false, 81);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u << "u";
}

TEST(HippoCuda, DefaultSizes) {
  SEQREF_REQUIRE_CUDA();
  for (Index C : {1, 127, 128, 129, 1000})
    for (Index N : {1, 16, 64, 256})
      for (bool log_weight : {false, true}) {
        const auto m = cuda_vs_oracle(C, 300, N, log_weight, 1000 + C + N);
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u
                                    << "u, bound " << m.verdict.bound_u << "u";
      }
}

RC_GTEST_PROP(HippoCuda, MatchesOracleRelativeToReference, ()) {
  SEQREF_REQUIRE_CUDA();
  // channels around the block of threads (one channel each): 127, 128, 129, 257
  const Index C = *gen::around_blocks({cuda::blocking::hippo::threads}, 2 * cuda::blocking::hippo::threads + 1);
  const Index L = C <= 129 ? *rc::gen::element<Index>(1, 2, 65, 1000) : *rc::gen::element<Index>(1, 2, 65);
  const Index N = *rc::gen::element<Index>(1, 3, 64, 65);
  const auto m = cuda_vs_oracle(C, L, N, *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u << "u\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(HippoCuda, BadInputThrowsInvalidArgument) {
  // the argument checks run before the device check, so they are testable without a device
  Tensor3<float> u(2, 10, 1), wrong(3, 10, 4);
  EXPECT_THROW(cuda::hippo_legs_online(u.view(), wrong.view()), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::hippo
