#pragma once
/// \file
/// Report rows from property results: one conversion for every method's <method>_checks.cpp.

#include "seqref/opt/backend.hpp"
#include "verify/support/registry.hpp"

#include <string>

namespace seqref::verify {

/// A measurement judged by the tolerance table (anything with `.verdict` (a Verdict) and `.detail`).
template <class M>
requires requires(const M& m) {
  m.verdict.err_u;
  m.detail;
}
CheckOutcome outcome_of(const M& m) {
  CheckOutcome o;
  o.error_u = m.verdict.err_u;
  o.bound_u = m.verdict.bound_u;
  o.pass = m.verdict.pass;
  o.detail = m.detail;
  if (m.verdict.ref_err_u > 0) o.detail += "; reference error " + std::to_string(m.verdict.ref_err_u) + "u";
  return o;
}

/// A bit-exact property (anything with `.pass` and `.detail`).
template <class E>
requires requires(const E& e) {
  bool(e.pass);
  e.detail;
}
CheckOutcome outcome_of(const E& e) {
  CheckOutcome o;
  o.pass = e.pass;
  o.detail = (e.pass ? "bit-identical: " : "NOT bit-identical: ") + e.detail;
  return o;
}

/// A property that holds or not, reported as is (no "bit-identical" claim): anything with `.pass` and `.detail`.
template <class E>
requires requires(const E& e) {
  bool(e.pass);
  e.detail;
}
CheckOutcome outcome_of_property(const E& e) {
  CheckOutcome o;
  o.pass = e.pass;
  o.detail = e.detail;
  return o;
}

/// An error measured against a fixed bound (both in u), e.g. an identity checked at Oracle precision.
inline CheckOutcome outcome_within(double err_u, double bound_u, std::string detail) {
  CheckOutcome o;
  o.error_u = err_u;
  o.bound_u = bound_u;
  o.pass = err_u <= bound_u;
  o.detail = std::move(detail);
  return o;
}

/// A CUDA check that cannot run on this machine, and why.
inline CheckOutcome cuda_skipped() {
  CheckOutcome o;
  o.skipped = cuda::built() ? "no CUDA device" : "CUDA not built";
  return o;
}

}  // namespace seqref::verify
