#pragma once
/// \file
/// The process's resource budget: every public entry point refuses work whose memory or operation count would
/// exceed it, with a clear std::invalid_argument, instead of running until killed. Defaults:
///
///   memory   3/4 of physical memory (the bytes an entry point allocates for its result and scratch);
///   work     1e12 elementary operations (multiply-adds, exps, …: minutes for the reference, seconds optimized);
///   threads  256 (an explicit thread count above it is refused; 0 always means "the backend's default").
///
/// Each can be changed for the process with the environment (SEQREF_MAX_BYTES, SEQREF_MAX_WORK, SEQREF_MAX_THREADS,
/// read once, numbers like 8e9 accepted; 0 or "inf" for no limit) or with set_limits().

#include "seqref/core/validate.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

namespace seqref {

struct Limits {
  double max_bytes;   ///< memory one call may allocate
  double max_work;    ///< elementary operations one call may perform
  Index max_threads;  ///< largest explicit thread count accepted
};

namespace detail {
inline double limit_from_env(const char* var, double fallback) {
  const char* s = std::getenv(var);
  if (s == nullptr || *s == '\0') return fallback;
  if (std::string_view(s) == "inf") return std::numeric_limits<double>::infinity();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || !(v >= 0)) return fallback;
  return v == 0 ? std::numeric_limits<double>::infinity() : v;
}
inline Limits default_limits() {
  const double pages = static_cast<double>(sysconf(_SC_PHYS_PAGES));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double physical = pages > 0 && page > 0 ? pages * page : 16e9;
  return {limit_from_env("SEQREF_MAX_BYTES", 0.75 * physical), limit_from_env("SEQREF_MAX_WORK", 1e12),
          static_cast<Index>(limit_from_env("SEQREF_MAX_THREADS", 256))};
}
inline Limits& limits_storage() {
  static Limits l = default_limits();
  return l;
}
}  // namespace detail

/// The budget in force.
inline const Limits& limits() { return detail::limits_storage(); }
/// Replace the budget (e.g. a test that needs a larger problem); returns the previous one.
inline Limits set_limits(const Limits& l) {
  Limits old = detail::limits_storage();
  detail::limits_storage() = l;
  return old;
}

/// Refuses a call that would allocate more than the memory budget. `bytes` is computed in double so that no
/// product of extents can wrap.
inline void require_memory(std::string_view fn, double bytes, std::string_view what) {
  if (bytes <= limits().max_bytes) return;
  std::ostringstream os;
  os << what << " needs " << bytes / 1e9 << " GB, over the memory budget of " << limits().max_bytes / 1e9
     << " GB (raise SEQREF_MAX_BYTES or call seqref::set_limits)";
  invalid_argument(fn, os.str());
}

/// Refuses a call that would perform more than the work budget (elementary operations, computed in double).
inline void require_work(std::string_view fn, double ops, std::string_view what) {
  if (ops <= limits().max_work) return;
  std::ostringstream os;
  os << what << " needs about " << ops << " operations, over the work budget of " << limits().max_work
     << " (raise SEQREF_MAX_WORK or call seqref::set_limits)";
  invalid_argument(fn, os.str());
}

/// An explicit thread count: 0 (the backend's default) or 1..max_threads; anything else is refused.
inline int require_threads(std::string_view fn, Index threads) {
  if (threads >= 0 && threads <= limits().max_threads) return static_cast<int>(threads);
  std::ostringstream os;
  os << "threads must be 0 (default) or in [1, " << limits().max_threads << "] (SEQREF_MAX_THREADS); got " << threads;
  invalid_argument(fn, os.str());
}

}  // namespace seqref
