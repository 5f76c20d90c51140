// The judge of ssm/fft's causal convolution (what S4, H3 and Hyena layers call "fftconv"): a candidate
// y[c, t] = Σ_{s≤t} kernel[c, s] · u[c, t − s], [channels, L] (or [L] for one channel). Units are channels; the
// yardstick is the convolution by its definition (seqref::ref::causal_conv_direct, real arithmetic in any precision),
// the float64 truth the cpu FFT convolution.

#include "seqref/opt/ssm/fft.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/fourier.hpp"

namespace {

using namespace seqref::judge;
constexpr const char* kId = "ssm/fft";

struct Shape {
  Index channels, L;
  bool one_d;
};

Shape shape_of(const Inputs& in) {
  const Array& k = array(in, "kernel", kId);
  if (k.shape.size() == 1) {
    const auto s = require_shape(kId, "kernel", k, {"L"}, {});
    require_shape(kId, "u", array(in, "u", kId), {"L"}, s);
    return {1, s[0], true};
  }
  const auto s = require_shape(kId, "kernel", k, {"channels", "L"}, {});
  require_shape(kId, "u", array(in, "u", kId), {"channels", "L"}, s);
  return {s[0], s[1], false};
}

template <class S>
Values channels_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  const Array &k = array(in, "kernel", kId), &u = array(in, "u", kId);
  Values out;
  for (const Index c : units) {
    std::vector<S> kc(static_cast<std::size_t>(s.L)), uc(static_cast<std::size_t>(s.L));
    for (Index t = 0; t < s.L; ++t) {
      kc[static_cast<std::size_t>(t)] = number_as<S>(k.values[static_cast<std::size_t>(c * s.L + t)]);
      uc[static_cast<std::size_t>(t)] = number_as<S>(u.values[static_cast<std::size_t>(c * s.L + t)]);
    }
    const std::vector<S> y = seqref::ref::causal_conv_direct<S>(kc, uc);
    for (Index t = 0; t < s.L; ++t) out.emplace_back(c * s.L + t, widen<S>(y[static_cast<std::size_t>(t)]));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, fft) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "kernel, u [channels, L] or [L] -> y of the same shape, y[t] = sum_{s<=t} kernel[s] u[t-s] "
      "(causal convolution, e.g. by FFT)";
  m.arrays = {"kernel", "u"};
  m.K = 4;
  m.K_reason =
      "the yardstick is the direct sum (t+1 products and sums per output); a correct FFT convolution commits "
      "O(u log L) relative to ||k|| ||u|| instead, which for inputs of one sign or spread magnitudes is a small "
      "constant factor of the direct sum's max-relative error, as for seqref's cpu FFT convolution (K = 4)";
  m.unit_name = "channel";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return s.one_d ? std::vector<Index>{s.L} : std::vector<Index>{s.channels, s.L};
  };
  m.units = [](const Inputs& in) { return shape_of(in).channels; };
  m.unit_of = [](const Inputs& in, Index flat) { return flat / shape_of(in).L; };
  m.work_per_unit = [](const Inputs& in) {
    const double L = static_cast<double>(shape_of(in).L);
    return L * (L + 1);  // a multiply and an add per pair s <= t
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return channels_in<S>(in, units); });
  };
  m.reference_name = "seqref::ref::causal_conv_direct (the definition, O(L^2))";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    const auto &k = array(in, "kernel", kId), &u = array(in, "u", kId);
    std::vector<double> y(static_cast<std::size_t>(s.channels * s.L));
    seqref::cpu::causal_conv(k.values, u.values, y, s.channels, s.L);
    return y;
  };
  m.fast_truth_name = "seqref::cpu::causal_conv (FFT, zero-padded to 2L)";
  return m;
}
