#pragma once
/// \file
/// Deterministic test data: value profiles a kernel must survive, drawn from a seeded generator (seqref::SplitMix64)
/// so that a failing case replays from its seed alone. Used by the property tests (seed from RapidCheck) and by
/// `seqref report` (fixed seeds).

#include "seqref/core/random.hpp"
#include "seqref/core/tensor.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace seqref::verify {

enum class Values {
  normal,      ///< N(0, 1)
  wide,        ///< ±m·2^e, e uniform in [-12, 12]: magnitudes over seven decades, mixed signs
  zeros,       ///< all zero (uniform attention: o_i = mean of v_{≤i})
  extreme,     ///< N(0, 1)·c with c chosen so that logits reach about ±1e4 (q, k only; use normal for v)
  small_ints,  ///< integers in [-4, 4]: exact in every precision, ties and repeated rows are common
};

inline std::string_view to_string(Values v) {
  switch (v) {
    case Values::normal: return "normal";
    case Values::wide: return "wide";
    case Values::zeros: return "zeros";
    case Values::extreme: return "extreme";
    case Values::small_ints: return "small_ints";
  }
  return "?";
}

/// One value of the profile. `extreme_scale` is used by Values::extreme only.
inline double draw(Values profile, SplitMix64& rng, double extreme_scale = 1.0) {
  switch (profile) {
    case Values::normal: return rng.normal();
    case Values::wide: {
      double e = std::floor(rng.uniform() * 25.0) - 12.0;
      double m = 1.0 + rng.uniform();
      return (rng.uniform() < 0.5 ? -m : m) * std::ldexp(1.0, static_cast<int>(e));
    }
    case Values::zeros: return 0.0;
    case Values::extreme: return extreme_scale * rng.normal();
    case Values::small_ints: return std::floor(rng.uniform() * 9.0) - 4.0;
  }
  return 0.0;
}

/// A [heads, len, dim] tensor of the profile, values rounded once to S.
template <class S>
Tensor3<S> make_tensor(Index heads, Index len, Index dim, Values profile, std::uint64_t seed,
                       double extreme_scale = 1.0) {
  Tensor3<S> t(heads, len, dim);
  SplitMix64 rng(seed);
  for (Index i = 0; i < t.size(); ++i) t.data()[i] = static_cast<S>(draw(profile, rng, extreme_scale));
  return t;
}

/// q, k, v for causal attention. For Values::extreme, q and k are scaled so that scale·q·k ~ ±1e4 and v is normal.
template <class S>
struct AttentionInputs {
  Tensor3<S> q, k, v;
  S scale;
};

template <class S>
AttentionInputs<S> make_attention_inputs(Index heads, Index len, Index head_dim, Index value_dim, Values profile,
                                         std::uint64_t seed) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  // |scale·q·k| ≈ c²·scale·√d = c² for N(0, c²) entries; c = 100 puts typical logits near ±1e4.
  const double c = 100.0;
  AttentionInputs<S> in;
  in.q = make_tensor<S>(heads, len, head_dim, profile, seed * 3 + 1, c);
  in.k = make_tensor<S>(heads, len, head_dim, profile, seed * 3 + 2, c);
  in.v = make_tensor<S>(heads, len, value_dim, profile == Values::extreme ? Values::normal : profile, seed * 3 + 3);
  in.scale = static_cast<S>(scale);
  return in;
}

/// NaN-filled output buffer: an element the kernel forgets to write stays NaN and fails every comparison loudly.
template <class S>
Tensor3<S> poisoned(Index heads, Index len, Index dim) {
  Tensor3<S> t(heads, len, dim);
  for (Index i = 0; i < t.size(); ++i) t.data()[i] = std::numeric_limits<S>::quiet_NaN();
  return t;
}

}  // namespace seqref::verify
