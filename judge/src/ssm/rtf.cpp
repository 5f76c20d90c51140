// The judge of ssm/rtf: a candidate RTF kernel ĥ [L] (or [H, L], one per channel) of the rational transfer function
// G(z) = (b_1 + … + b_N z^{N−1}) / (1 + a_1 z + … + a_N z^N) (arXiv 2405.06147): eq. (2) of seqref/ref/ssm/rtf.hpp,
// ĥ = IDFT_L(DFT_L(b) / DFT_L(1, a)), the L-point (aliased) kernel a user computes with rfft / irfft.
//
// Units are channels; the truth is seqref::cpu::rtf_kernel in float64 (the reference in long double for float64
// candidates); the yardstick is seqref::ref::rtf_kernel (std::complex<S>) for float32, and its real-arithmetic
// form seqref::ref::rtf_kernel_real — the same transforms and division on (re, im) pairs — for 16-bit candidates.
// The companion recurrence (eq. 3) is real arithmetic too, but it yields the first L taps h_k of G, not the aliased
// ĥ_k = Σ_m h_{k+mL} the candidate is (folding it would need the response to decay, and is another algorithm).

#include "seqref/opt/ssm/rtf.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/rtf.hpp"

#include <cmath>

namespace {

using namespace seqref::judge;
constexpr const char* kId = "ssm/rtf";

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument(std::string("seqref.check(") + kId + "): " + message);
}

struct Shape {
  Index H, N, L;
  bool batched;
};

Shape shape_of(const Inputs& in) {
  const Array& a = array(in, "a", kId);
  Shape s{1, 0, 0, a.shape.size() == 2};
  if (s.batched) {
    const auto as = require_shape(kId, "a", a, {"H", "N"}, {});
    s.H = as[0], s.N = as[1];
    require_shape(kId, "b", array(in, "b", kId), {"H", "N"}, as);
  } else {
    s.N = require_shape(kId, "a", a, {"N"}, {})[0];
    require_shape(kId, "b", array(in, "b", kId), {"N"}, {s.N});
  }
  if (in.numbers.count("L") == 0) fail("missing number argument 'L' (the kernel's length)");
  const double L = number(in, "L", -1);
  if (!(L >= 1 && L == std::floor(L) && L <= 1e9)) fail("L must be an integer >= 1; got " + std::to_string(L));
  s.L = static_cast<Index>(L);
  return s;
}

// Channels `units` (sorted) in S, coefficients rounded to S: eq. (2) with std::complex<S> (float, double, long
// double) or on (re, im) pairs (the 16-bit scalars).
template <class S>
Values channels_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  const Array &a = array(in, "a", kId), &b = array(in, "b", kId);
  Values out;
  out.reserve(units.size() * static_cast<std::size_t>(s.L));
  for (const Index h : units) {
    std::vector<S> ah(static_cast<std::size_t>(s.N)), bh(ah.size());
    for (Index n = 0; n < s.N; ++n) {
      ah[static_cast<std::size_t>(n)] = number_as<S>(a.values[static_cast<std::size_t>(h * s.N + n)]);
      bh[static_cast<std::size_t>(n)] = number_as<S>(b.values[static_cast<std::size_t>(h * s.N + n)]);
    }
    std::vector<S> k;
    if constexpr (has_std_complex<S>)
      k = seqref::ref::rtf_kernel<S>(ah, bh, s.L);
    else
      k = seqref::ref::rtf_kernel_real<S>(ah, bh, s.L);
    for (Index j = 0; j < s.L; ++j) out.emplace_back(h * s.L + j, widen<S>(k[static_cast<std::size_t>(j)]));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, rtf) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "a, b [N] or [H, N], L -> kernel [L] or [H, L] = IDFT_L(DFT_L(b) / DFT_L(1, a)), the L-point kernel of "
      "G(z) = (b_1 + ... + b_N z^(N-1)) / (1 + a_1 z + ... + a_N z^N) (coefficients folded modulo L when "
      "N + 1 > L)";
  m.arrays = {"a", "b"};
  m.numbers = {"L"};
  m.K = 4;
  m.K_reason =
      "a correct kernel computes the same three length-L transforms and one division per frequency as the "
      "reference, by other factorizations (rfft/irfft, mixed radix, Bluestein): each transform commits O(log L) u "
      "(O(L) u for the reference's definition-DFT at lengths that are not powers of two, which only loosens the "
      "bound), and the division by DFT(1, a) amplifies both alike by 1/|1 + a_1 w + ... + a_N w^N| near a root of "
      "unity w: a small constant over the reference (the project's cpu K = 4)";
  m.unit_name = "channel";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    for (const char* name : {"a", "b"}) {
      const Array& x = array(in, name, kId);
      for (std::size_t i = 0; i < x.values.size(); ++i)
        if (!std::isfinite(x.values[i]))
          fail(std::string(name) + " has a non-finite value at flat index " + std::to_string(i));
    }
    return s.batched ? std::vector<Index>{s.H, s.L} : std::vector<Index>{s.L};
  };
  m.units = [](const Inputs& in) { return shape_of(in).H; };
  m.unit_of = [](const Inputs& in, Index flat) { return flat / shape_of(in).L; };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    const double L = static_cast<double>(s.L);
    const double per = (s.L & (s.L - 1)) == 0 ? 10.0 * std::log2(L + 1) : 8.0 * L;  // as ref::rtf_kernel's budget
    return 3.0 * L * per + static_cast<double>(s.N);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return channels_in<S>(in, units); });
  };
  m.reference_name =
      "seqref::ref::rtf_kernel eq. (2) (radix-2 FFT for a power-of-two L, else the definition; for float16/bfloat16 "
      "its real-arithmetic form seqref::ref::rtf_kernel_real, complex numbers as (re, im) pairs, since std::complex "
      "is not specified for Eigen::half/bfloat16)";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    std::vector<double> out(static_cast<std::size_t>(s.H * s.L));
    seqref::cpu::rtf_kernel(array(in, "a", kId).values, array(in, "b", kId).values, out, s.H, s.N, s.L);
    return out;
  };
  m.fast_truth_name = "seqref::cpu::rtf_kernel (batched FFTs, seqref::cpu::dft_batched)";
  return m;
}
