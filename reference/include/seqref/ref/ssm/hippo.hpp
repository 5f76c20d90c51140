#pragma once
/// \file
/// HiPPO transition matrices (arXiv 2008.07669; kexue.fm/archives/10114, 10137). The signature of
/// `hippo_transition` is fixed (ssm/s4 builds on LegS through it); the rest of this header is the ssm/hippo work.

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"

namespace seqref::ref {

/// Which measure the memory projects onto.
enum class HippoMeasure {
  legt,     ///< translated Legendre: uniform weight on the window [t − θ, t]
  legs,     ///< scaled Legendre: uniform weight on [0, t] (time-varying system x' = (A/t) x + (B/t) u)
  fout,     ///< translated Fourier on the window
  fourier,  ///< Fourier on the full history
};

/// Whose normalisation: a user must be able to say which convention they compare against.
enum class HippoConvention {
  post,   ///< kexue.fm/archives/10114 and 10137
  paper,  ///< the HiPPO paper (for LegS: A_nk = −√(2n+1)√(2k+1) for n > k, −(n+1) for n = k, 0 above; B_n = √(2n+1))
  lmu,    ///< the Legendre Memory Unit / state-spaces `legt` (= hippo-code `lmu`)
};

/// Continuous system x' = A x + B u (for LegS the time-varying factor 1/t is not included).
template <class S>
struct ContinuousSystem {
  Matrix<S> A;  ///< N x N
  Matrix<S> B;  ///< N x 1
};

/// A and B for N >= 1 states (window length 1 for the translated measures). Throws std::invalid_argument for
/// N < 1 or a (measure, convention) pair that is not defined.
template <class S>
ContinuousSystem<S> hippo_transition(HippoMeasure measure, Index N, HippoConvention convention);

}  // namespace seqref::ref
