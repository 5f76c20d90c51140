// Tier 3 for ssm/hippo on the CPU backend: the batched LegS online update against the oracle, relative to the
// same-precision reference (verify/support/tolerance.hpp), thread-count independence, NaN-poisoned outputs, and
// bad input.

#include "verify/support/error.hpp"
#include "verify/support/inputs.hpp"
#include "verify/tests/ssm/hippo_properties.hpp"

#include "verify/support/generators.hpp"

#include <gtest/gtest.h>
#include <omp.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace seqref::verify::hippo {
namespace {

RC_GTEST_PROP(HippoCpu, FloatMatchesOracleRelativeToReference, ()) {
  // channels around the 16-float lane block (15, 16, 17, 33, 47): the second block's lanes
  const Index C = *gen::around_blocks({cpu::blocking::hippo::lanes_f32}, 48);
  const Index L = *rc::gen::element<Index>(1, 2, 3, 64, 257, 1000);
  const Index N = *rc::gen::element<Index>(1, 2, 7, 16, 64, 65);
  const auto m = cpu_vs_oracle<float>(C, L, N, *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<std::uint64_t>(),
                                      *rc::gen::element(1.0, 0.5, 1.5));
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs reference " << m.verdict.ref_err_u << "u (bound "
           << m.verdict.bound_u << "u)\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(HippoCpu, DoubleMatchesOracleRelativeToReference, ()) {
  // The 50-digit oracle is slow: C·L·N up to ~2e4.
  // channels around the 8-double lane block (7, 8, 9, 17, 23); long L only with few channels
  const Index C = *gen::around_blocks({cpu::blocking::hippo::lanes_f64}, 24);
  const Index L = C <= 9 ? *rc::gen::element<Index>(1, 2, 65, 200) : *rc::gen::element<Index>(1, 2, 3, 65);
  const Index N = *rc::gen::element<Index>(1, 3, 8, 17);
  const auto m = cpu_vs_oracle<double>(C, L, N, *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<std::uint64_t>(),
                                       *rc::gen::element(1.0, 0.5, 1.5));
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs reference " << m.verdict.ref_err_u << "u\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(HippoCpu, DefaultSizes) {
  for (Index N : {16, 64, 256}) {
    const auto m = cpu_vs_oracle<float>(64, 1024, N, false, 100 + N);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u, ref " << m.verdict.ref_err_u
                                << "u, bound " << m.verdict.bound_u;
    std::printf("%s: %.2fu (reference %.2fu)\n", m.detail.c_str(), m.verdict.err_u, m.verdict.ref_err_u);
  }
}

TEST(HippoCpu, ThreadCountDoesNotChangeBits) {
  const Tensor3<float> u = make_tensor<float>(70, 300, 1, Values::normal, 9);
  Tensor3<float> a = poisoned<float>(70, 300, 24), b = poisoned<float>(70, 300, 24);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  cpu::hippo_legs_online(u.view(), a.view());
  omp_set_num_threads(threads);
  cpu::hippo_legs_online(u.view(), b.view());
  EXPECT_TRUE(all_finite(a));
  EXPECT_TRUE(bit_identical(a.data(), b.data(), a.size()));
}

TEST(HippoCpu, PostConventionAndLogWeightMatchTheReference) {
  const Index C = 5, L = 200, N = 12;
  const Tensor3<double> u = make_tensor<double>(C, L, 1, Values::normal, 4);
  Tensor3<double> out = poisoned<double>(C, L, N);
  cpu::hippo_legs_online(u.view(), out.view(), {std::sqrt(2.0), true});
  const auto sys = ref::hippo_transition<double>(ref::HippoMeasure::legs, N, ref::HippoConvention::post);
  for (Index c = 0; c < C; ++c) {
    const std::span<const double> uc(u.data() + c * L, static_cast<std::size_t>(L));
    const Matrix<double> X =
        ref::legs_online<double>(sys, uc, 1.0, ref::LegsScheme::bilinear, ref::LegsWeight::log_ratio);
    EXPECT_LT(relative_error(Matrix<double>(out.head(c)), X), 1e-13) << "channel " << c;
  }
}

TEST(HippoCpu, BadInputThrowsInvalidArgument) {
  Tensor3<float> u(2, 10, 1), s(2, 10, 4), wrong(3, 10, 4), u2(2, 10, 2);
  EXPECT_THROW(cpu::hippo_legs_online(u.view(), wrong.view()), std::invalid_argument);
  EXPECT_THROW(cpu::hippo_legs_online(u2.view(), s.view()), std::invalid_argument);
  Tensor3<float> empty(2, 10, 0);
  EXPECT_THROW(cpu::hippo_legs_online(u.view(), empty.view()), std::invalid_argument);
  u(1, 3, 0) = std::numeric_limits<float>::quiet_NaN();
  try {
    cpu::hippo_legs_online(u.view(), s.view());
    ADD_FAILURE() << "NaN input accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::cpu::hippo_legs_online"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[1, 3, 0]"), std::string::npos) << e.what();
  }
  Tensor3<float> ok(2, 10, 1);
  EXPECT_THROW(cpu::hippo_legs_online(ok.view(), s.view(), {std::nan(""), false}), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::hippo
