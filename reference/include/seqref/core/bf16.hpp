#pragma once
/// \file
/// bfloat16 storage type for host code (1 sign, 8 exponent, 7 mantissa bits): the CUDA backend's bf16 inputs are
/// passed as this, so that public headers carry no CUDA types. Conversion rounds to nearest even; NaN stays NaN.

#include <bit>
#include <cstdint>

namespace seqref {

struct bf16 {
  std::uint16_t bits = 0;
};

inline bf16 to_bf16(float x) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0)
    return {static_cast<std::uint16_t>((u >> 16) | 0x40u)};
  std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return {static_cast<std::uint16_t>((u + rounding) >> 16)};
}

inline float to_float(bf16 x) { return std::bit_cast<float>(static_cast<std::uint32_t>(x.bits) << 16); }

/// x rounded to the nearest bf16 and widened back to float.
inline float round_to_bf16(float x) { return to_float(to_bf16(x)); }

}  // namespace seqref
