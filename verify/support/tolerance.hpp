#pragma once
/// \file
/// The one tolerance table. Tier 3 rule (optimized vs oracle, relative to the reference):
///
///     pass  ⇔  err_opt ≤ K · max(err_ref, u)
///
/// where err_opt and err_ref are the normwise relative errors of the optimized result and of the same-precision
/// reference, both measured against the oracle, in units of u. Tier 2 entries (backend "ref") bound the
/// reference itself against the Oracle: err_ref ≤ K · u. Every entry carries the reason for its K; a lookup of a
/// missing entry throws, so no check can run without a stated tolerance.
/// Models: Boost.Math's expected-results tables; hippo-code's err ≤ err_torch·(1 + rtol).

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seqref::verify {

enum class Precision { f32, f64, bf16 };
enum class Backend { ref, cpu, cuda };

inline std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::f32: return "f32";
    case Precision::f64: return "f64";
    case Precision::bf16: return "bf16";
  }
  return "?";
}
inline std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::ref: return "ref";
    case Backend::cpu: return "cpu";
    case Backend::cuda: return "cuda";
  }
  return "?";
}

struct Tolerance {
  std::string_view method;
  std::string_view op;
  Precision precision;
  Backend backend;
  double K;
  std::string_view reason;
};

// One table, one rule; each method's rows live in verify/support/tolerances/<family>_<method>.inc. The build
// generates tolerances_all.inc, which includes every .inc there (verify/CMakeLists.txt): no list kept by hand.
// clang-format off
inline constexpr Tolerance kTolerances[] = {
#include "tolerances_all.inc"
};
// clang-format on

/// The entry for (method, op, precision, backend); throws std::logic_error when the table has none.
inline const Tolerance& tolerance(std::string_view method, std::string_view op, Precision p, Backend b) {
  for (const auto& t : kTolerances)
    if (t.method == method && t.op == op && t.precision == p && t.backend == b) return t;
  throw std::logic_error("no tolerance entry for " + std::string(method) + " / " + std::string(op) + " / " +
                         std::string(to_string(p)) + " / " + std::string(to_string(b)) +
                         ": add one (with its reason) to verify/support/tolerances/<family>_<method>.inc");
}

struct Verdict {
  double err_u;      ///< optimized (or reference, tier 2) error in u
  double ref_err_u;  ///< reference error in u (tier 3), or 0 (tier 2)
  double bound_u;    ///< the bound the error was held to
  bool pass;
};

/// Tier 3: err_opt ≤ K · max(err_ref, 1) (all in units of u).
inline Verdict judge_relative(const Tolerance& t, double err_opt_u, double err_ref_u) {
  double bound = t.K * std::max(err_ref_u, 1.0);
  return {err_opt_u, err_ref_u, bound, err_opt_u <= bound};
}

/// Tier 2: err_ref ≤ K (in units of u).
inline Verdict judge_absolute(const Tolerance& t, double err_u) { return {err_u, 0.0, t.K, err_u <= t.K}; }

}  // namespace seqref::verify
