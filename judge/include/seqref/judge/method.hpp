#pragma once
/// \file
/// How a method plugs into the judge (judge/src/<family>/<method>.cpp). A method describes its inputs, its output
/// shape, its independent output units (rows, channels, heads: what the yardstick may sample) and two computations:
///
///   - reference(inputs, precision, units): seqref::ref run in `precision` on the given units, returning every
///     element of those units as (flat index, value) — the yardstick (candidate's precision) and, for a float64
///     candidate, the truth (Precision::ld, long double);
///   - fast_truth(inputs): the truth over the whole output in float64 for float32/16-bit candidates, by the fastest
///     implementation verified against the Oracle (the cpu f64 kernel); empty: the float64 reference is used.
///
/// The core (judge/src/judge.cpp) does everything else: lookup, argument names, candidate shape, non-finite values,
/// the metric, sampling, threads, progress and the verdict. A method registers itself with
///
///   SEQREF_REGISTER_JUDGE(attention, causal_attention) { return MethodJudge{...}; }
///
/// and judge/CMakeLists.txt finds every judge/src/<family>/<method>.cpp by its path (no list is edited by hand).

#include "seqref/judge/judge.hpp"

#include <Eigen/Core>

#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace seqref::judge {

/// The precision a reference runs in: the candidate's dtypes and long double (the float64 candidate's truth).
enum class Precision { ld, f64, f32, f16, bf16 };

Precision precision_of(DType dtype);
std::string_view name(Precision p);

/// Calls f.template operator()<S>() with S the scalar of p (long double, double, float, Eigen::half,
/// Eigen::bfloat16).
template <class F>
decltype(auto) dispatch(Precision p, F&& f) {
  switch (p) {
    case Precision::ld: return f.template operator()<long double>();
    case Precision::f64: return f.template operator()<double>();
    case Precision::f32: return f.template operator()<float>();
    case Precision::f16: return f.template operator()<Eigen::half>();
    case Precision::bf16: break;
  }
  return f.template operator()<Eigen::bfloat16>();
}

/// (flat index into the output, value): what a reference run returns for the elements of the units it ran.
using Values = std::vector<std::pair<Index, long double>>;

struct MethodJudge {
  std::string id;                    ///< "family/method"
  std::string signature;             ///< inputs and output, for help texts
  std::vector<std::string> arrays;   ///< every array argument the method accepts
  std::vector<std::string> numbers;  ///< every number argument
  std::vector<std::string> strings;  ///< every string argument
  double K = 4;
  std::string K_reason;
  std::string unit_name = "unit";  ///< what a unit is ("row", "channel", …), for the verdict
  /// Validates the inputs (names, shapes, values) and returns the output's shape. Throws std::invalid_argument.
  std::function<std::vector<Index>(const Inputs&)> output_shape;
  /// Number of independent output units, the unit of a flat output index, and the scalar operations one unit's
  /// reference run costs (for the sampling decision).
  std::function<Index(const Inputs&)> units;
  std::function<Index(const Inputs&, Index flat)> unit_of;
  std::function<double(const Inputs&)> work_per_unit;
  /// The reference in `precision` on `units` (sorted, distinct); called from several threads at once.
  std::function<Values(const Inputs&, Precision precision, std::span<const Index> units)> reference;
  std::string reference_name;  ///< e.g. "seqref::ref::causal_attention (eq. 1)"
  /// The float64 truth over the whole output (row-major), or empty to use reference(f64) on every unit.
  std::function<std::vector<double>(const Inputs&)> fast_truth;
  std::string fast_truth_name;  ///< e.g. "seqref::cpu::causal_attention<double>"
};

using MethodFactory = MethodJudge (*)();

/// Adds a method to the registry (called by the generated registration list; see judge/CMakeLists.txt).
void register_method(MethodJudge method);

// ---- helpers for a method's functions ----------------------------------------------------------------------------

/// The array `name` (throws "missing array argument" naming the method's signature when absent).
const Array& array(const Inputs& in, std::string_view name, std::string_view method);
/// The array `name` or nullptr when absent.
const Array* optional_array(const Inputs& in, std::string_view name);
/// A number argument, or `fallback` when absent.
double number(const Inputs& in, std::string_view name, double fallback);
/// A string argument, or `fallback` when absent.
std::string string(const Inputs& in, std::string_view name, std::string_view fallback);

/// "[8, 8192, 64]".
std::string shape_string(const std::vector<Index>& shape);
/// Requires `a` to have `rank` dimensions named `dims` (for messages), each equal to `expected[i]` when that is
/// >= 0; returns the shape. Throws std::invalid_argument("seqref.check(<method>): <name> must be [..]; got [..]").
std::vector<Index> require_shape(std::string_view method, std::string_view name, const Array& a,
                                 std::vector<std::string_view> dims, std::vector<Index> expected);

/// True for the scalars std::complex is specified for (float, double, long double); false for Eigen::half and
/// Eigen::bfloat16, whose complex references run on real (re, im) pairs instead.
template <class S>
inline constexpr bool has_std_complex = std::is_floating_point_v<S>;

/// A number converted to S (through float for the 16-bit types).
template <class S>
S number_as(double x) {
  if constexpr (std::is_floating_point_v<S>)
    return static_cast<S>(x);
  else
    return static_cast<S>(static_cast<float>(x));
}
/// The values of `a` converted to S (rounded to nearest when S is narrower than a's dtype).
template <class S>
std::vector<S> values_as(const Array& a) {
  std::vector<S> out(a.values.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = number_as<S>(a.values[i]);
  return out;
}
/// A value of S widened to long double.
template <class S>
long double widen(const S& x) {
  if constexpr (std::is_floating_point_v<S>)
    return static_cast<long double>(x);
  else
    return static_cast<long double>(static_cast<float>(x));
}

}  // namespace seqref::judge

/// Registers a method's judge: the body returns its MethodJudge. The function's name is what the generated
/// registration list calls (judge/CMakeLists.txt).
#define SEQREF_REGISTER_JUDGE(family, method) ::seqref::judge::MethodJudge seqref_judge_##family##_##method()
