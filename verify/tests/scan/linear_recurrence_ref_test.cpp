// Tiers 1-2 for the scan engine's reference (seqref::ref::linear_recurrence): hand values, the Oracle in model
// units (linear_recurrence_properties.hpp), split-and-carry, and bad input.

#include "verify/tests/scan/linear_recurrence_properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>

namespace seqref::verify::scan {
namespace {

const auto kLengths = rc::gen::element<Index>(1, 2, 3, 127, 129, 1000, 2047, 2048, 2049);
const auto kKinds = rc::gen::element(Transition::scalar, Transition::diagonal, Transition::dense);

RC_GTEST_PROP(ScanReference, DoubleWithinErrorModelOfOracle, ()) {
  const Transition kind = *kKinds;
  const Index T = *kLengths;
  const Index D = *rc::gen::element<Index>(1, 2, 3, 5);
  const double rho = *rc::gen::element(0.5, 1.0, 1.01);
  const auto m = reference_vs_oracle<double>(kind, *rc::gen::inRange<Index>(1, 3), T, D, rho,
                                             *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " (bound " << m.verdict.bound_u << ")\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(ScanReference, FloatWithinErrorModelOfOracle, ()) {
  const Transition kind = *kKinds;
  const auto m = reference_vs_oracle<float>(kind, 1, *kLengths, *rc::gen::element<Index>(1, 4), 1.0,
                                            *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(ScanReference, HandValues) {
  // J = 1: the running sum (exact in integers); J = 0: x_t = b_t; J = 2 with x0 = 1, b = 0: powers of two
  const std::vector<double> ones(5, 1.0), zeros(5, 0.0), twos(5, 2.0), b{1, 2, 3, 4, 5}, x0{1};
  std::vector<double> x(5), xf(1);
  ref::linear_recurrence<double>({Transition::scalar, 1, 5, 1, ones, b, {}}, x, xf);
  EXPECT_EQ(x, (std::vector<double>{1, 3, 6, 10, 15}));
  EXPECT_EQ(xf[0], 15);
  ref::linear_recurrence<double>({Transition::diagonal, 1, 5, 1, zeros, b, x0}, x);
  EXPECT_EQ(x, b);
  ref::linear_recurrence<double>({Transition::dense, 1, 5, 1, twos, zeros, x0}, x);
  EXPECT_EQ(x, (std::vector<double>{2, 4, 8, 16, 32}));
  // a 2x2 rotation by 90 degrees applied four times returns the initial state (b = 0)
  const std::vector<double> R{0, -1, 1, 0, 0, -1, 1, 0, 0, -1, 1, 0, 0, -1, 1, 0}, b0(8, 0.0), x02{3, 7};
  std::vector<double> x4(8);
  ref::linear_recurrence<double>({Transition::dense, 1, 4, 2, R, b0, x02}, x4);
  EXPECT_EQ(x4, (std::vector<double>{-7, 3, -3, -7, 7, -3, 3, 7}));
}

TEST(ScanReference, SplitAndCarryIsOneRun) {
  for (Transition kind : {Transition::scalar, Transition::diagonal, Transition::dense})
    for (Index split : {1, 64, 128, 199}) {
      const auto e = split_carry_bit_identical(kind, 2, 200, 3, split, 11 + static_cast<std::uint64_t>(split));
      EXPECT_TRUE(e.pass) << e.detail;
    }
}

TEST(ScanReference, BadInputIsRejectedWithShapes) {
  const std::vector<double> J(6, 0.5), b(6, 1.0), x0(2, 0.0), nan{std::nan(""), 1, 1, 1, 1, 1};
  std::vector<double> x(6), xf(2);
  auto expect_message = [&](const LinearRecurrence<double>& p, std::span<double> out, std::span<double> fin,
                            const std::string& needle) {
    try {
      ref::linear_recurrence<double>(p, out, fin);
      ADD_FAILURE() << "no exception; expected one naming " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("seqref::ref::linear_recurrence"), std::string::npos) << e.what();
    }
  };
  const std::vector<double> x0_bad(3, 0.0);
  std::vector<double> x_short(5);
  expect_message({Transition::diagonal, 2, 3, 1, J, b, x0}, x_short, xf, "x must hold 6 entries");
  expect_message({Transition::dense, 1, 3, 2, J, b, {}}, x, {}, "J must hold 12 entries");
  expect_message({Transition::diagonal, 2, 3, 1, J, b, x0_bad}, x, xf, "x0 must hold 2 entries");
  expect_message({Transition::diagonal, 2, 0, 1, {}, {}, {}}, {}, xf, "must be >= 1");
  expect_message({Transition::diagonal, 2, 3, 1, nan, b, x0}, x, xf, "J has a non-finite entry");
  expect_message({Transition::diagonal, 2, 3, 1, J, nan, x0}, x, xf, "b has a non-finite entry");
  expect_message({Transition::diagonal, 2, 3, 1, J, b, x0}, {}, {}, "nothing to compute");
  // the message carries the shape
  try {
    ref::linear_recurrence<double>({Transition::dense, 1, 3, 2, J, b, {}}, x);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[B, T, D] = [1, 3, 2], dense J"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::scan
