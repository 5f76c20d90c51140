// Tiers 1-2 for the reference SSD (seqref/ref/ssm/ssd.hpp): hand values, then the identities of the paper against
// the Oracle — quadratic = chunked (every chunk size) = recurrence (= Mamba's selective scan), stable segsum = naive
// where finite, stable finite where naive overflows, all exponents <= 0 for a <= 0, split runs with the state carried
// = one run; bad input throws.

#include "verify/tests/ssm/ssd_properties.hpp"

#include "verify/support/error.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

namespace seqref::verify::ssd {
namespace {

// ---- tier 1: hand values --------------------------------------------------------------------------------------------

TEST(SsdRef, ScalarByHand) {
  // P = N = 1, B = C = 1: h_t = e^{a_t} h_{t−1} + x_t, y_t = h_t. With a = ln(1/2), x = (1, 2, 4) and h0 = 8:
  // h = (4 + 1, 2.5 + 2, 2.25 + 4) = (5, 4.5, 6.25) — exp(ln 0.5) is 0.5 to within an ulp, so compare to 1e-15.
  SsdShape s;
  s.len = 3;
  Data<double> d{s, {1, 2, 4}, {std::log(0.5), std::log(0.5), std::log(0.5)}, {1, 1, 1}, {1, 1, 1}, {8}};
  for (Form f : {Form::quadratic, Form::chunked, Form::recurrence})
    for (Index Q : {1, 2, 3, 5}) {
      const auto [y, h] = run_form(f, d, Q);
      EXPECT_NEAR(y[0], 5.0, 1e-15) << to_string(f, Q);
      EXPECT_NEAR(y[1], 4.5, 1e-15) << to_string(f, Q);
      EXPECT_NEAR(y[2], 6.25, 1e-14) << to_string(f, Q);
      EXPECT_NEAR(h[0], 6.25, 1e-14) << to_string(f, Q);
    }
}

TEST(SsdRef, ZeroDecayIsARunningSumAndGroupsShareBC) {
  // a = 0: L is the lower triangle of ones, so y_t = C_t (Σ_{s<=t} B_s x_sᵀ)ᵀ exactly for small integers.
  SsdShape s{1, 4, 2, 2, 1, 2};  // 2 heads sharing one group
  Data<double> d;
  d.shape = s;
  d.A.assign(static_cast<std::size_t>(s.a_size()), 0.0);
  for (Index i = 0; i < s.x_size(); ++i) d.X.push_back(double(i % 5) - 2);
  for (Index i = 0; i < s.bc_size(); ++i) d.B.push_back(double(i % 3) - 1), d.C.push_back(double(i % 4) - 1.5);
  for (Form f : {Form::quadratic, Form::chunked, Form::recurrence}) {
    const auto [y, h] = run_form(f, d, 3);
    for (Index hd = 0; hd < 2; ++hd)
      for (Index t = 0; t < 4; ++t)
        for (Index p = 0; p < 2; ++p) {
          double expect = 0;
          for (Index u = 0; u <= t; ++u)
            for (Index n = 0; n < 2; ++n) expect += d.C[t * 2 + n] * d.B[u * 2 + n] * d.X[(u * 2 + hd) * 2 + p];
          EXPECT_EQ(y[(t * 2 + hd) * 2 + p], expect) << to_string(f, 3) << " head " << hd << " t " << t;
        }
  }
}

TEST(SsdRef, SegsumByHand) {
  const std::vector<double> a{-1, -2, -4};
  const auto st = ref::segsum_stable<double>(a);
  const auto nv = ref::segsum_naive<double>(a);
  const double inf = std::numeric_limits<double>::infinity();
  const double expect[3][3] = {{0, -inf, -inf}, {-2, 0, -inf}, {-6, -4, 0}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(st(i, j), expect[i][j]);
      EXPECT_EQ(nv(i, j), expect[i][j]);
    }
}

// ---- tier 2: every form vs the Oracle, for every chunk size and the lengths the peers never ran -------------------

TEST(SsdRef, FormsMatchOracleForEveryChunkAndLength) {
  for (Index T : {1, 2, 127, 129}) {
    const SsdShape s{1, T, 2, 3, 1, 4};
    for (Index Q : std::vector<Index>{1, 2, 3, 64, T, T + 5}) {
      const auto m = form_vs_oracle(Form::chunked, s, Q, 100 + T);
      EXPECT_TRUE(m.verdict.pass) << m.detail;
    }
    for (Form f : {Form::quadratic, Form::recurrence}) {
      const auto m = form_vs_oracle(f, s, 0, 100 + T);
      EXPECT_TRUE(m.verdict.pass) << m.detail;
    }
  }
}

TEST(SsdRef, LongSequencesMatchOracle) {
  // T around 2^11 (the recurrence at Oracle is O(T P N): affordable); the quadratic form once at 2049.
  for (Index T : {2047, 2048, 2049}) {
    const SsdShape s{1, T, 1, 2, 1, 2};
    for (Index Q : std::vector<Index>{1, 2, 3, 64, T, T + 1}) {
      const auto m = form_vs_oracle(Form::chunked, s, Q, 200 + T, 0.2);
      EXPECT_TRUE(m.verdict.pass) << m.detail;
    }
  }
  const auto m = form_vs_oracle(Form::quadratic, SsdShape{1, 2049, 1, 2, 1, 2}, 0, 7, 0.2);
  EXPECT_TRUE(m.verdict.pass) << m.detail;
}

TEST(SsdRef, FormsAreOneIdentityAtOracle) {
  // Quadratic = chunked (every Q) = recurrence in exact arithmetic: at 50 digits they agree to ~1e-30 u of double.
  EXPECT_LE(forms_identity_u(SsdShape{2, 13, 2, 2, 2, 3}, {1, 2, 3, 5, 13, 20}, 1), 1e-20);
  EXPECT_LE(forms_identity_u(SsdShape{1, 33, 4, 2, 2, 2}, {4, 32}, 2), 1e-20);  // 2 heads per group
}

TEST(SsdRef, EqualsSelectiveScan) {
  // SSD with Δ folded into X and a = Δ·A_h is Mamba's selective scan with A[c, n] = A_h (Euler B̄ = ΔB).
  EXPECT_LE(ssd_equals_selective_scan_u(SsdShape{2, 37, 2, 3, 1, 4}, 8, 3), 1e-20);
  EXPECT_LE(ssd_equals_selective_scan_u(SsdShape{1, 129, 3, 2, 1, 2}, 64, 4), 1e-20);
}

TEST(SsdRef, SplitWithCarriedStateEqualsOneRun) {
  const SsdShape s{2, 129, 2, 3, 1, 4};
  for (Index split : {1, 50, 64, 128}) {
    const auto m = split_equals_one_run_ref(s, 16, split, 9);
    EXPECT_TRUE(m.verdict.pass) << m.detail;
  }
}

TEST(SsdRef, StableSegsumEqualsNaiveWhereFinite) {
  for (Index T : {1, 2, 7, 64, 300}) {
    for (double amax : {0.1, 3.0, 1e3}) {
      auto e = segsum_stable_matches_naive<double>(T, 11 + T, amax, false);
      EXPECT_TRUE(e.pass) << e.detail;
      e = segsum_stable_matches_naive<double>(T, 12 + T, amax, true);
      EXPECT_TRUE(e.pass) << e.detail;
      auto f = segsum_stable_matches_naive<float>(T, 13 + T, amax, false);
      EXPECT_TRUE(f.pass) << f.detail;
    }
  }
}

TEST(SsdRef, StableSegsumFiniteWhereNaiveOverflows) {
  auto d = stable_segsum_finite_where_naive_is_not<double>();
  EXPECT_TRUE(d.pass) << d.detail;
  auto f = stable_segsum_finite_where_naive_is_not<float>();
  EXPECT_TRUE(f.pass) << f.detail;
}

TEST(SsdRef, ExponentsAreNonPositive) {
  // The reference's stable segsum, and the exponents the cpu kernel forms (bit-identical to it), are <= 0 for a <= 0.
  for (Index q : {1, 2, 3, 64, 65, 256}) {
    auto d = cpu_decays_nonpositive<double>(q, 21 + q);
    EXPECT_TRUE(d.pass) << d.detail;
    auto f = cpu_decays_nonpositive<float>(q, 22 + q);
    EXPECT_TRUE(f.pass) << f.detail;
  }
}

RC_GTEST_PROP(SsdRef, RandomShapesMatchOracle, ()) {
  const Index T = *rc::gen::inRange<Index>(1, 90);
  const Index heads = *rc::gen::element<Index>(1, 2, 4);
  const Index groups = *rc::gen::element<Index>(1, heads);
  const Index P = *rc::gen::inRange<Index>(1, 5), N = *rc::gen::inRange<Index>(1, 6);
  const Index Q = *rc::gen::inRange<Index>(1, T + 3);
  const double amax = *rc::gen::element(0.0, 0.05, 1.0, 8.0);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  const SsdShape s{*rc::gen::inRange<Index>(1, 3), T, heads, P, groups, N};
  const auto m = form_vs_oracle(Form::chunked, s, Q, seed, amax);
  RC_ASSERT(m.verdict.pass);
  const auto q = form_vs_oracle(Form::quadratic, s, 0, seed, amax);
  RC_ASSERT(q.verdict.pass);
}

// ---- errors ---------------------------------------------------------------------------------------------------------

TEST(SsdRef, BadInputThrows) {
  const SsdShape s{1, 4, 2, 2, 1, 3};
  auto d = make_problem(s, 1);
  std::vector<double> y(static_cast<std::size_t>(s.x_size())), h(static_cast<std::size_t>(s.state_size()));
  EXPECT_NO_THROW(ref::ssd_chunked<double>(d.problem(), 2, y, h));
  EXPECT_THROW(ref::ssd_chunked<double>(d.problem(), 0, y, h), std::invalid_argument);
  auto bad = d;
  bad.shape.groups = 3;  // does not divide heads
  EXPECT_THROW(ref::ssd_quadratic<double>(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.X.pop_back();
  EXPECT_THROW(ref::ssd_recurrence<double>(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.A[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(ref::ssd_chunked<double>(bad.problem(), 2, y, h), std::invalid_argument);
  bad = d;
  bad.h0.resize(5);
  EXPECT_THROW(ref::ssd_chunked<double>(bad.problem(), 2, y, h), std::invalid_argument);
  bad = d;
  bad.C[0] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(ref::ssd_quadratic<double>(bad.problem(), y, h), std::invalid_argument);
  std::vector<double> short_y(3);
  EXPECT_THROW(ref::ssd_quadratic<double>(d.problem(), short_y, h), std::invalid_argument);
  bad = d;
  bad.shape.len = 0;
  EXPECT_THROW(ref::ssd_recurrence<double>(bad.problem(), y, h), std::invalid_argument);
  EXPECT_THROW(ref::segsum_stable<double>(std::vector<double>{}), std::invalid_argument);
  EXPECT_THROW(ref::segsum_naive<double>(std::vector<double>{1.0, NAN}), std::invalid_argument);
  try {
    ref::ssd_chunked<double>(d.problem(), 2, short_y, h);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Y must hold 16 entries"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("seqref::ref::ssd_chunked"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::ssd
