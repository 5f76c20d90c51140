#pragma once
/// \file
/// seqref as a judge of other people's kernels: for a registered method, take the method's inputs and a candidate
/// output (a user's PyTorch/Triton/CUDA/NumPy result) and return a verdict by the project's tolerance rule
/// (DESIGN.md, "three tiers of trust"):
///
///   error_u            = max_i |x_i − x*_i| / (u · max_i |x*_i|)      the candidate x against the truth x*
///   reference_error_u  = the same metric for seqref's reference run in the candidate's own precision
///   bound_u            = K · max(reference_error_u, 1)                 passed = error_u ≤ bound_u
///
/// with u the unit roundoff of the candidate's dtype (float64 2^-53, float32 2^-24, float16 2^-11, bfloat16 2^-8).
/// The truth is computed at higher precision than the candidate, by an implementation already verified against the
/// 50-digit Oracle: for a float32/float16/bfloat16 candidate the method's fastest float64 kernel (or its float64
/// reference), for a float64 candidate the reference in long double (x87, u = 2^-64). The yardstick is the
/// same-precision reference (Eigen::half and Eigen::bfloat16 for the 16-bit dtypes) on the inputs rounded to the
/// candidate's dtype; on large problems it runs on a deterministic sample of independent output units (rows,
/// channels, heads) that always contains the unit of the candidate's worst element. Verdict::truth and
/// Verdict::yardstick say which implementation ran on what.
///
/// A non-finite candidate element is a failure (error_u = inf) reported with its first index, never an exception.
/// Bad input — an unknown method or argument, inputs whose shapes disagree, a candidate of the wrong shape, values
/// the method refuses — throws std::invalid_argument naming the argument and the shapes.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seqref::judge {

using Index = std::ptrdiff_t;

/// The precisions a candidate may have.
enum class DType { f64, f32, f16, bf16 };

/// "float64", "float32", "float16", "bfloat16".
std::string_view name(DType dtype);
/// Accepts the NumPy/torch names and the short ones: float64/f64/double, float32/f32/float, float16/f16/half,
/// bfloat16/bf16. Throws std::invalid_argument otherwise.
DType parse_dtype(std::string_view text);
/// 2^-53, 2^-24, 2^-11, 2^-8.
double unit_roundoff(DType dtype);
/// x rounded to the nearest value of `dtype` (ties to even), as a double.
double round_to(DType dtype, double x);

/// A dense row-major array. Every value must be exactly representable in `dtype` (it is what the user's kernel saw
/// or produced); from_values rounds for you.
struct Array {
  std::vector<Index> shape;
  std::vector<double> values;
  DType dtype = DType::f64;

  Index size() const;
  /// Values rounded to `dtype`.
  static Array from_values(std::vector<Index> shape, std::vector<double> values, DType dtype);
};

/// The inputs of one call of a method, by the names of its Python binding (e.g. q, k, v and scale for causal
/// attention). Arrays, numbers (a bool is 0 or 1) and strings (options such as discretization = "zoh").
struct Inputs {
  std::map<std::string, Array, std::less<>> arrays;
  std::map<std::string, double, std::less<>> numbers;
  std::map<std::string, std::string, std::less<>> strings;
};

/// Called between stages with the stage's name and the fraction of the whole check done (0..1).
using Progress = std::function<void(std::string_view stage, double fraction)>;

struct Options {
  std::optional<double> K;        ///< the method's own K when empty
  Progress progress;              ///< may be empty
  double yardstick_work = 2.0e8;  ///< scalar operations the yardstick may spend before it samples units
  unsigned threads = 0;           ///< threads for the reference runs (0: all cores)
};

/// An element of the output: its multi-index, flat index and the two values.
struct Location {
  std::vector<Index> index;
  Index flat = -1;  ///< -1: none
  double candidate = 0;
  double truth = 0;
};

struct Verdict {
  std::string method;
  DType dtype = DType::f64;
  std::vector<Index> shape;
  double u = 0;
  double error_u = 0;            ///< candidate vs truth, in u of its dtype (inf when a value is not finite)
  double reference_error_u = 0;  ///< same-precision reference vs truth (the yardstick)
  double K = 0;
  double bound_u = 0;  ///< K · max(reference_error_u, 1)
  bool passed = false;
  std::string metric;              ///< the error metric, in words
  std::string truth;               ///< which implementation computed the truth
  std::string yardstick;           ///< which reference ran in the candidate's precision, on how many units
  std::string K_reason;            ///< why K is what it is
  Location worst;                  ///< the largest |x − x*| among finite candidate values
  Index nonfinite = 0;             ///< how many candidate values are NaN or ±inf
  Location first_nonfinite;        ///< the first of them (flat = -1: none)
  double seconds = 0;              ///< wall time of the check
  std::vector<std::string> notes;  ///< what the caller did to the data (e.g. "candidate moved from cuda:0")

  /// One line: "PASS attention/causal_attention float32 [8, 8192, 64]: error 3.1u <= 4 x max(2.2u, 1) = 8.8u".
  std::string summary() const;
  /// Several lines: the summary, the worst element with both values, the first non-finite one, truth, yardstick,
  /// metric and K's reason (an assertion message).
  std::string report() const;
  /// The verdict as one JSON object.
  std::string json() const;
};

/// Judges `candidate` as the output of `method` on `inputs`. `method` is "family/method" or, when unique, the
/// method's name alone ("causal_attention").
Verdict check(std::string_view method, const Inputs& inputs, const Array& candidate, const Options& options = {});

/// The registered methods ("family/method"), sorted.
std::vector<std::string> methods();
/// What a method's check takes and returns, for help texts and error messages.
std::string signature(std::string_view method);

/// The names of a method's arguments, by kind.
struct Arguments {
  std::vector<std::string> arrays, numbers, strings;
};
Arguments arguments(std::string_view method);

}  // namespace seqref::judge
