#pragma once
/// \file
/// Argument checks for causal self-attention, shared by the reference and every optimized backend so that all
/// of them reject the same inputs with the same message.

#include "seqref/core/validate.hpp"

#include <cmath>
#include <sstream>

namespace seqref {

/// q: [H, T, d], k: [H, T, d], v: [H, T, dv], out (if given): [H, T, dv]; H, T, d, dv >= 1; finite values;
/// finite scale. Throws std::invalid_argument naming `fn`, the argument and the shapes.
template <class S, class Scale>
void check_causal_attention_args(std::string_view fn, TensorView<const S> q, TensorView<const S> k,
                                 TensorView<const S> v, Scale scale, const S* out = nullptr,
                                 TensorView<const S> out_view = {}) {
  auto shapes = [&] {
    std::ostringstream os;
    os << "q " << shape_string(q) << ", k " << shape_string(k) << ", v " << shape_string(v);
    if (out) os << ", out " << shape_string(out_view);
    return os.str();
  };
  require(q.heads >= 1 && q.len >= 1 && q.dim >= 1, fn, "q must have heads, length and dim >= 1; got " + shapes());
  require(v.dim >= 1, fn, "v must have dim >= 1; got " + shapes());
  require(q.data && k.data && v.data, fn, "null data pointer; got " + shapes());
  require(k.heads == q.heads && v.heads == q.heads, fn, "q, k, v must have the same number of heads; got " + shapes());
  require(k.len == q.len && v.len == q.len, fn,
          "causal self-attention needs q, k, v of the same length; got " + shapes());
  require(k.dim == q.dim, fn, "q and k must have the same head dim; got " + shapes());
  if (out) {
    require(out_view.heads == q.heads && out_view.len == q.len && out_view.dim == v.dim, fn,
            "out must be [heads, len, v.dim]; got " + shapes());
  }
  using std::isfinite;
  require(static_cast<bool>(isfinite(scale)), fn, "scale must be finite");
  require_finite(q, fn, "q");
  require_finite(k, fn, "k");
  require_finite(v, fn, "v");
}

}  // namespace seqref
