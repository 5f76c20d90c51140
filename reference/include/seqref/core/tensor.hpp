#pragma once
/// \file
/// The tensor vocabulary shared by every tier: an owning row-major `Tensor3` ([heads, len, dim]) and the
/// non-owning views the optimized backends and the Python bindings take.

#include <Eigen/Core>

#include <cstddef>
#include <vector>

namespace seqref {

/// Sizes and indices (signed, like Eigen::Index, which it equals: `using namespace` of both stays unambiguous).
/// Not `index`: that name collides with POSIX index() from <strings.h> under `using namespace seqref;`.
using Index = std::ptrdiff_t;

template <class S>
using Matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using RowVector = Eigen::Matrix<S, 1, Eigen::Dynamic>;

/// Non-owning view of a contiguous row-major [heads, len, dim] array.
template <class S>
struct TensorView {
  S* data = nullptr;
  Index heads = 0;
  Index len = 0;
  Index dim = 0;

  Index size() const { return heads * len * dim; }
  S& operator()(Index h, Index t, Index c) const { return data[(h * len + t) * dim + c]; }
  /// Head h as a len x dim row-major Eigen map.
  Eigen::Map<Matrix<std::remove_const_t<S>>, Eigen::Unaligned> head(Index h) const requires(!std::is_const_v<S>) {
    return {data + h * len * dim, len, dim};
  }
  Eigen::Map<const Matrix<std::remove_const_t<S>>, Eigen::Unaligned> chead(Index h) const {
    return {data + h * len * dim, len, dim};
  }
  operator TensorView<const S>() const requires(!std::is_const_v<S>) { return {data, heads, len, dim}; }
};

template <class S>
using ConstTensorView = TensorView<const S>;

/// Owning row-major [heads, len, dim] tensor, value-initialised (zeros).
template <class S>
class Tensor3 {
 public:
  Tensor3() = default;
  Tensor3(Index heads, Index len, Index dim)
      : heads_(heads), len_(len), dim_(dim), data_(static_cast<std::size_t>(heads * len * dim), S(0)) {}

  Index heads() const { return heads_; }
  Index len() const { return len_; }
  Index dim() const { return dim_; }
  Index size() const { return static_cast<Index>(data_.size()); }
  S* data() { return data_.data(); }
  const S* data() const { return data_.data(); }
  S& operator()(Index h, Index t, Index c) { return data_[static_cast<std::size_t>((h * len_ + t) * dim_ + c)]; }
  const S& operator()(Index h, Index t, Index c) const {
    return data_[static_cast<std::size_t>((h * len_ + t) * dim_ + c)];
  }

  Eigen::Map<Matrix<S>> head(Index h) { return {data() + h * len_ * dim_, len_, dim_}; }
  Eigen::Map<const Matrix<S>> head(Index h) const { return {data() + h * len_ * dim_, len_, dim_}; }

  TensorView<S> view() { return {data(), heads_, len_, dim_}; }
  TensorView<const S> view() const { return {data(), heads_, len_, dim_}; }
  operator TensorView<const S>() const { return view(); }

  /// Element-wise conversion (e.g. float data lifted to double or Oracle, or an oracle result rounded down).
  template <class T>
  Tensor3<T> cast() const {
    Tensor3<T> out(heads_, len_, dim_);
    for (std::size_t i = 0; i < data_.size(); ++i) out.data()[i] = static_cast<T>(data_[i]);
    return out;
  }

  /// Copy of a view.
  static Tensor3 from(TensorView<const S> v) {
    Tensor3 out(v.heads, v.len, v.dim);
    for (Index i = 0; i < v.size(); ++i) out.data()[i] = v.data[i];
    return out;
  }

 private:
  Index heads_ = 0, len_ = 0, dim_ = 0;
  std::vector<S> data_;
};

}  // namespace seqref
