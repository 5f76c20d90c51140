// Tests of the judge itself (seqref::judge, judge/src/judge.cpp) on attention/causal_attention, whose candidates are
// easy to make exactly: the truth rounded to the candidate's dtype (error <= 1/2 u), the same-precision reference
// (error = the yardstick), perturbations at chosen elements (the worst element and its unit must be found, also
// past the first head and when the yardstick samples), NaN, and every refusal. Deterministic: fixed seeds.

#include "seqref/judge/judge.hpp"
#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/ref/attention/causal_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using seqref::judge::Array;
using seqref::judge::DType;
using seqref::judge::Index;
using seqref::judge::Inputs;
using seqref::judge::Verdict;

struct Problem {
  Index H, T, d, dv;
  Inputs in;
  std::vector<double> truth;  // cpu f64 kernel
};

Problem make(Index H, Index T, Index d, Index dv, DType input_dtype, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  auto arr = [&](Index dim) {
    std::vector<double> x(static_cast<std::size_t>(H * T * dim));
    for (auto& e : x) e = g(rng);
    return Array::from_values({H, T, dim}, x, input_dtype);
  };
  Problem p{H, T, d, dv, {}, {}};
  p.in.arrays["q"] = arr(d);
  p.in.arrays["k"] = arr(d);
  p.in.arrays["v"] = arr(dv);
  p.truth.resize(static_cast<std::size_t>(H * T * dv));
  const auto &q = p.in.arrays["q"].values, &k = p.in.arrays["k"].values, &v = p.in.arrays["v"].values;
  seqref::cpu::causal_attention({q.data(), H, T, d}, {k.data(), H, T, d}, {v.data(), H, T, dv},
                                {p.truth.data(), H, T, dv}, 1.0 / std::sqrt(static_cast<double>(d)));
  return p;
}

Array rounded(const Problem& p, DType dtype) { return Array::from_values({p.H, p.T, p.dv}, p.truth, dtype); }

constexpr const char* kAttn = "attention/causal_attention";

TEST(Judge, RegistryFindsMethodsByIdAndByName) {
  const auto ids = seqref::judge::methods();
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) {
    EXPECT_NE(seqref::judge::signature(id).find("->"), std::string::npos) << id;
    EXPECT_EQ(id.find('/') != std::string::npos, true) << id;
  }
  EXPECT_EQ(seqref::judge::signature("causal_attention"), seqref::judge::signature(kAttn));
  try {
    seqref::judge::signature("no_such_method");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown method 'no_such_method'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(kAttn), std::string::npos) << e.what();
  }
}

TEST(Judge, TruthRoundedToEachDtypePassesWithinHalfAUnit) {
  const Problem p = make(2, 70, 16, 8, DType::f64, 1);
  for (const DType dt : {DType::f32, DType::f16, DType::bf16}) {
    const Verdict v = seqref::judge::check(kAttn, p.in, rounded(p, dt));
    EXPECT_TRUE(v.passed) << v.report();
    // |round(x*) − x*| <= u|x*| <= u·max|x*|, and the truth is the same f64 kernel: error <= 1 u (1/2 u + the
    // truth-vs-truth difference 0).
    EXPECT_LE(v.error_u, 1.0) << v.report();
    EXPECT_GT(v.reference_error_u, 0.0) << v.report();
    EXPECT_EQ(v.dtype, dt);
    EXPECT_NE(v.truth.find("seqref::cpu::causal_attention"), std::string::npos) << v.truth;
  }
}

TEST(Judge, TheSamePrecisionReferenceScoresExactlyTheYardstick) {
  const Problem p = make(3, 50, 8, 8, DType::f32, 2);
  std::vector<float> q(p.in.arrays.at("q").values.begin(), p.in.arrays.at("q").values.end());
  std::vector<float> k(p.in.arrays.at("k").values.begin(), p.in.arrays.at("k").values.end());
  std::vector<float> v(p.in.arrays.at("v").values.begin(), p.in.arrays.at("v").values.end());
  const auto o = seqref::ref::causal_attention<float>({q.data(), 3, 50, 8}, {k.data(), 3, 50, 8}, {v.data(), 3, 50, 8},
                                                      1.0f / std::sqrt(8.0f));
  Array cand{{3, 50, 8}, std::vector<double>(o.data(), o.data() + o.size()), DType::f32};
  const Verdict verdict = seqref::judge::check(kAttn, p.in, cand);
  EXPECT_TRUE(verdict.passed) << verdict.report();
  EXPECT_EQ(verdict.error_u, verdict.reference_error_u) << verdict.report();
}

TEST(Judge, UnderSamplingTheSamePrecisionReferenceStillScoresExactlyTheYardstick) {
  // The candidate is the float32 reference itself: its worst element's row is in every sample (the judge adds it),
  // so the sampled yardstick equals the candidate's error exactly; a sample without that row would be smaller.
  const Index H = 2, T = 400, d = 8;
  const Problem p = make(H, T, d, d, DType::f32, 12);
  std::vector<float> q(p.in.arrays.at("q").values.begin(), p.in.arrays.at("q").values.end());
  std::vector<float> k(p.in.arrays.at("k").values.begin(), p.in.arrays.at("k").values.end());
  std::vector<float> v(p.in.arrays.at("v").values.begin(), p.in.arrays.at("v").values.end());
  const auto o = seqref::ref::causal_attention<float>({q.data(), H, T, d}, {k.data(), H, T, d}, {v.data(), H, T, d},
                                                      1.0f / std::sqrt(static_cast<float>(d)));
  const Array cand{{H, T, d}, std::vector<double>(o.data(), o.data() + o.size()), DType::f32};
  seqref::judge::Options opt;
  opt.yardstick_work = 1;  // the least sample: 64 of 800 rows
  const Verdict verdict = seqref::judge::check(kAttn, p.in, cand, opt);
  EXPECT_NE(verdict.yardstick.find("of 800 rows"), std::string::npos) << verdict.yardstick;
  EXPECT_EQ(verdict.error_u, verdict.reference_error_u) << verdict.report();
}

TEST(Judge, AnExactReferenceLeavesTheBoundAtKUnits) {
  // T = 1: o = v exactly in every precision, so the reference's error is 0 and the bound is its floor K·u; a
  // candidate 2u off passes (2 <= 4·max(0, 1)) and one 5u off fails.
  const Problem p = make(3, 1, 4, 4, DType::f32, 13);
  const auto& v = p.in.arrays.at("v").values;
  double vmax = 0;
  for (const double x : v) vmax = std::max(vmax, std::fabs(x));
  for (const double off : {2.0, 5.0}) {
    Array cand{{3, 1, 4}, v, DType::f32};
    cand.values[5] += off * std::ldexp(1.0, -24) * vmax;  // not a float32 number: the metric reads it as given
    const Verdict verdict = seqref::judge::check(kAttn, p.in, cand);
    EXPECT_EQ(verdict.reference_error_u, 0.0) << verdict.report();
    EXPECT_EQ(verdict.bound_u, 4.0) << verdict.report();
    EXPECT_EQ(verdict.passed, off < 4) << verdict.report();
  }
}

TEST(Judge, FloatCandidateIsJudgedAgainstLongDoubleTruth) {
  const Problem p = make(2, 40, 8, 8, DType::f64, 3);
  const Verdict v = seqref::judge::check(kAttn, p.in, Array{{2, 40, 8}, p.truth, DType::f64});
  EXPECT_TRUE(v.passed) << v.report();
  EXPECT_NE(v.truth.find("long double"), std::string::npos) << v.truth;
  // The float32-rounded truth posing as float64 fails by ~1e8 u.
  const Verdict bad = seqref::judge::check(kAttn, p.in, Array{{2, 40, 8}, rounded(p, DType::f32).values, DType::f64});
  EXPECT_FALSE(bad.passed) << bad.report();
  EXPECT_GT(bad.error_u, 1e6) << bad.report();
}

TEST(Judge, APerturbedElementPastTheFirstHeadIsTheWorstAndFails) {
  const Problem p = make(3, 97, 16, 16, DType::f32, 4);
  Array cand = rounded(p, DType::f32);
  const Index flat = ((2 * 97) + 96) * 16 + 15;  // last head, last row, last column
  cand.values[static_cast<std::size_t>(flat)] += 1e-3;
  const Verdict v = seqref::judge::check(kAttn, p.in, cand);
  EXPECT_FALSE(v.passed) << v.report();
  EXPECT_EQ(v.worst.flat, flat);
  EXPECT_EQ(v.worst.index, (std::vector<Index>{2, 96, 15}));
  EXPECT_EQ(v.worst.truth, p.truth[static_cast<std::size_t>(flat)]);
  EXPECT_NE(v.summary().find("FAIL"), std::string::npos);
  EXPECT_NE(v.summary().find("[2, 96, 15]"), std::string::npos) << v.summary();
}

TEST(Judge, SampledYardstickContainsTheWorstRow) {
  const Problem p = make(2, 300, 8, 8, DType::f32, 5);
  Array cand = rounded(p, DType::f32);
  const Index row = 300 + 137;  // head 1, row 137: not on the even grid of 8 samples
  cand.values[static_cast<std::size_t>(row * 8 + 3)] += 1e-2;
  seqref::judge::Options o;
  o.yardstick_work = 1;  // forces the minimum sample
  const Verdict v = seqref::judge::check(kAttn, p.in, cand, o);
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.yardstick.find("of 600 rows"), std::string::npos) << v.yardstick;
  // A correct candidate still passes on the sample, and the full yardstick is at least the sampled one.
  const Verdict sampled = seqref::judge::check(kAttn, p.in, rounded(p, DType::f32), o);
  const Verdict full = seqref::judge::check(kAttn, p.in, rounded(p, DType::f32));
  EXPECT_TRUE(sampled.passed) << sampled.report();
  EXPECT_NE(full.yardstick.find("all 600 rows"), std::string::npos) << full.yardstick;
  EXPECT_LE(sampled.reference_error_u, full.reference_error_u);
}

TEST(Judge, NonFiniteCandidateIsAFailureWithItsFirstIndex) {
  const Problem p = make(2, 20, 4, 4, DType::f32, 6);
  Array cand = rounded(p, DType::f32);
  cand.values[100] = std::numeric_limits<double>::infinity();
  cand.values[7] = std::numeric_limits<double>::quiet_NaN();
  const Verdict v = seqref::judge::check(kAttn, p.in, cand);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.nonfinite, 2);
  EXPECT_EQ(v.first_nonfinite.flat, 7);
  EXPECT_EQ(v.first_nonfinite.index, (std::vector<Index>{0, 1, 3}));
  EXPECT_TRUE(std::isinf(v.error_u));
  EXPECT_NE(v.summary().find("2 non-finite values, the first at [0, 1, 3]"), std::string::npos) << v.summary();
  EXPECT_NE(v.json().find("\"error_u\": \"inf\""), std::string::npos) << v.json();
}

void expect_refused(const Inputs& in, const Array& cand, const std::string& needle, seqref::judge::Options o = {}) {
  try {
    seqref::judge::check(kAttn, in, cand, o);
    FAIL() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Judge, BadInputIsRefusedNamingTheArgument) {
  const Problem p = make(2, 10, 4, 4, DType::f32, 7);
  const Array good = rounded(p, DType::f32);
  Array wrong_shape = good;
  wrong_shape.shape = {2, 10, 5};
  wrong_shape.values.resize(100);
  expect_refused(p.in, wrong_shape,
                 "candidate has shape [2, 10, 5], but these inputs give an output of shape [2, 10, 4]");
  Array short_values = good;
  short_values.values.pop_back();
  expect_refused(p.in, short_values, "candidate has 79 values for shape [2, 10, 4]");
  Inputs k_wrong = p.in;
  k_wrong.arrays["k"].shape = {2, 5, 8};
  expect_refused(k_wrong, good, "k must be [H=2, T=10, d=4]");
  Inputs unknown = p.in;
  unknown.arrays["mask"] = Array{{1}, {0.0}, DType::f32};
  expect_refused(unknown, good, "unknown array argument 'mask'");
  Inputs missing = p.in;
  missing.arrays.erase("v");
  expect_refused(missing, good, "missing array argument 'v'");
  Inputs bad_scale = p.in;
  bad_scale.numbers["scale"] = std::numeric_limits<double>::infinity();
  expect_refused(bad_scale, good, "scale must be finite");
  Inputs nan_input = p.in;
  nan_input.arrays["q"].values[3] = std::numeric_limits<double>::quiet_NaN();
  expect_refused(nan_input, good, "non-finite");
  seqref::judge::Options o;
  o.K = 0.5;
  expect_refused(p.in, good, "K must be finite and >= 1", o);
  EXPECT_THROW(seqref::judge::parse_dtype("int8"), std::invalid_argument);
}

TEST(Judge, KOverrideAndReportFields) {
  const Problem p = make(1, 30, 4, 4, DType::f32, 8);
  seqref::judge::Options o;
  o.K = 1000;
  const Verdict v = seqref::judge::check(kAttn, p.in, rounded(p, DType::f32), o);
  EXPECT_EQ(v.K, 1000);
  EXPECT_EQ(v.K_reason, "set by the caller");
  EXPECT_DOUBLE_EQ(v.bound_u, 1000 * std::max(v.reference_error_u, 1.0));
  const std::string r = v.report();
  for (const char* field : {"worst element", "metric", "truth", "yardstick", "K               1000: set by the caller"})
    EXPECT_NE(r.find(field), std::string::npos) << field << " in\n" << r;
}

}  // namespace
