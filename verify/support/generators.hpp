#pragma once
/// \file
/// RapidCheck generators for shapes and value profiles. RapidCheck's own numeric generators never produce large
/// exponents or planted edge sizes, so sizes come from explicit lists (1, 2, primes, tile sizes ± 1, and the
/// largest that keeps a property under a second) and values from the seeded profiles of inputs.hpp.

#include "verify/support/inputs.hpp"

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace seqref::verify::gen {

/// The sizes that cross a kernel's blocking: for every blocking constant c (a SIMD lane group, a tile, a time
/// chunk, a node block; see the `blocking` namespaces of optimized/include/seqref/opt/...): c − 1, c, c + 1 (the
/// edges of the first block), 2c + 1 (one past two full blocks) and 3c − 1 (a partial third block); plus 1, 2 and
/// small primes. Sizes above `max` are dropped (choose max so that the property stays fast), sorted, unique.
inline std::vector<Index> block_sizes(std::initializer_list<Index> blocks, Index max,
                                      std::initializer_list<Index> extra = {}) {
  std::vector<Index> v{1, 2, 3, 5, 7, 13};
  for (Index c : blocks) {
    if (c < 1) continue;
    for (Index s : {c - 1, c, c + 1, 2 * c + 1, 3 * c - 1}) v.push_back(s);
  }
  v.insert(v.end(), extra.begin(), extra.end());
  std::erase_if(v, [max](Index s) { return s < 1 || s > max; });
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// One size of block_sizes(blocks, max, extra), the block edges drawn as often as all small sizes together.
inline rc::Gen<Index> around_blocks(std::initializer_list<Index> blocks, Index max,
                                    std::initializer_list<Index> extra = {}) {
  const std::vector<Index> all = block_sizes(blocks, max, extra);
  std::vector<Index> small, edges;
  for (Index s : all) (s <= 13 ? small : edges).push_back(s);
  if (edges.empty()) return rc::gen::elementOf(small);
  return rc::gen::weightedOneOf<Index>({{1, rc::gen::elementOf(small)}, {3, rc::gen::elementOf(edges)}});
}

/// Sequence lengths: 1, 2, primes, the CPU/CUDA tile sizes (64, 128) ± 1, and 1000.
inline rc::Gen<Index> seq_len() {
  return rc::gen::weightedOneOf<Index>({
      {4, rc::gen::element<Index>(1, 2, 3, 5, 7, 13, 31)},
      {4, rc::gen::element<Index>(63, 64, 65, 127, 128, 129)},
      {2, rc::gen::element<Index>(191, 255, 257)},
      {1, rc::gen::just<Index>(1000)},
  });
}

/// Head dims: 1, odd, and the usual 16 / 64 / 128 (± 1).
inline rc::Gen<Index> head_dim() { return rc::gen::element<Index>(1, 2, 3, 16, 17, 31, 64, 65, 128); }

/// Number of heads.
inline rc::Gen<Index> heads() { return rc::gen::inRange<Index>(1, 5); }

/// Value profiles for which errors are measured against an oracle (well conditioned enough for a u-scaled bound).
inline rc::Gen<Values> measurable_values() {
  return rc::gen::element(Values::normal, Values::small_ints, Values::zeros);
}

/// Every profile, including the ones where only invariants (finiteness, convexity, causality) are checked.
inline rc::Gen<Values> any_values() {
  return rc::gen::element(Values::normal, Values::small_ints, Values::zeros, Values::wide, Values::extreme);
}

/// Seeds for the value draws.
inline rc::Gen<std::uint64_t> seed() { return rc::gen::arbitrary<std::uint64_t>(); }

/// Tile sizes for the CPU kernel: 1, primes, powers of two.
inline rc::Gen<Index> tile() { return rc::gen::element<Index>(1, 2, 3, 7, 16, 31, 64, 128, 200); }

}  // namespace seqref::verify::gen

namespace rc {
template <>
struct Arbitrary<seqref::verify::Values> {
  static Gen<seqref::verify::Values> arbitrary() { return seqref::verify::gen::any_values(); }
};
}  // namespace rc
