#pragma once
/// \file
/// The check registry `seqref report` runs. A method registers its checks in verify/tests/<family>/<method>_checks.cpp,
/// next to its tests and calling the same property functions; there is no list to keep in sync by hand.
///
///   SEQREF_REGISTER_CHECK("attention/causal_attention", "rnn form = standard", "ref", [] { ... return outcome; });

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace seqref::verify {

struct CheckOutcome {
  double error_u =
      std::numeric_limits<double>::quiet_NaN();  ///< measured error in units of u (NaN: not an error check)
  double bound_u = std::numeric_limits<double>::quiet_NaN();  ///< the bound it was held to
  bool pass = false;
  std::string detail;                                         ///< sizes, precision, what was compared
  double speedup = std::numeric_limits<double>::quiet_NaN();  ///< reference time / optimized time, where timed
  std::string skipped;                                        ///< non-empty: not run, and why ("no CUDA device")
};

struct Check {
  std::string method;   ///< "<family>/<method>" as in METHODS.md
  std::string name;     ///< what is checked
  std::string backend;  ///< "ref", "cpu" or "cuda"
  std::function<CheckOutcome()> run;
  std::string cuda_suite = {};  ///< for cuda checks: the GoogleTest suite tools/gpu-verify runs for this method
};

void register_check(Check check);
const std::vector<Check>& registered_checks();

namespace detail {
struct Registrar {
  Registrar(Check c) { register_check(std::move(c)); }
};
}  // namespace detail

}  // namespace seqref::verify

#define SEQREF_CONCAT_INNER(a, b) a##b
#define SEQREF_CONCAT(a, b) SEQREF_CONCAT_INNER(a, b)
#define SEQREF_REGISTER_CHECK(method, name, backend, ...)   \
  static ::seqref::verify::detail::Registrar SEQREF_CONCAT( \
      seqref_check_registrar_, __LINE__)(::seqref::verify::Check{method, name, backend, __VA_ARGS__})
