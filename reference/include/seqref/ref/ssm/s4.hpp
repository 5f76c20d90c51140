#pragma once
/// \file
/// Reference S4 and S4D kernels, after "Revisiting SSMs (3): efficient computation of HiPPO" (kexue.fm/archives/10162)
/// and the S4 paper (Gu, Goel, Ré, arXiv 2111.00396); S4D after arXiv 2206.11893.
///
/// A single-input single-output SSM x' = A x + B u, y = C x, discretized with step Δ (bilinear for S4, ZOH for
/// S4D), x_k = Ā x_{k−1} + B̄ u_k, y_k = C x_k, is the causal convolution y = K̄ * u with
///
///   (1)  K̄_j = C Ā^j B̄,  j = 0..L−1                                   (the Krylov kernel: the plain reference)
///   (2)  K̂(z) = Σ_{j<L} K̄_j z^j = C (I − Ā^L z^L)(I − Ā z)^{-1} B̄      (truncated generating function)
///   (3)  at z = ω^k, ω = e^{−2πi/L}: z^L = 1, so K̂(ω^k) = C̃ (I − Ā z)^{-1} B̄ with C̃ = C (I − Ā^L),
///        and K̂(ω^k) is the length-L DFT of K̄: K̄ = iDFT(K̂(ω^0..ω^{L−1}))
///   (4)  bilinear: (I − Ā z)^{-1} B̄ = 2/(1+z) · (g(z) I − A)^{-1} B,  g(z) = (2/Δ)(1−z)/(1+z)
///   (5)  DPLR A = V(Λ − P Q*)V* (V unitary): with B' = V*B, C̃' = C̃V, P' = V*P, Q' = V*Q and Woodbury,
///        C̃(gI − A)^{-1}B = k00 − k01 (1 + k11)^{-1} k10,   k_ab = Σ_n a_n b_n / (g − λ_n)
///        (a ∈ {C̃', Q'*}, b ∈ {B', P'}): four Cauchy kernels Σ_n w_n/(z − λ_n) per node
///   (6)  even L, node z = −1 (k = L/2): g = ∞ and 2/(1+z) = ∞; the limit is K̂(−1) = (Δ/2) C̃ B
///        (derived; the post's factor 2/(1+z) is singular there and the post leaves this node out):
///        (I + Ā)^{-1}B̄ = ½(I − Δ/2 A)(I − Δ/2 A)^{-1}ΔB = (Δ/2)B exactly.
///
/// NPLR of LegS (paper convention, from seqref/ref/ssm/hippo.hpp): with P_n = √(n + ½), A + P Pᵀ = −½ I + S where
/// S is real skew-symmetric (S_nk = −S_kn = −√(2n+1)√(2k+1)/2 for n > k). The normal part is diagonalized through
/// the Hermitian matrix H = iS = V diag(μ) V*, so S = V diag(−iμ) V* and Λ = −½ − iμ. H is diagonalized at the
/// scalar's own precision through the real 2N x 2N symmetric embedding [[0, −S], [S, 0]] of H (eigenvalues of H,
/// each twice; eigenvector (a; b) ↦ a + ib): by Eigen's SelfAdjointEigenSolver for float and double, by the cyclic
/// Jacobi method for Oracle (Eigen's solver does not compile for Boost 1.74's number type), so the Oracle
/// instantiation is a true 50-digit eigendecomposition (no long double fallback).
///
/// S4D (diagonal, arXiv 2206.11893): N complex modes λ_n with their conjugates implied (the kernel is real),
///   (7)  ZOH Ā_n = e^{Δλ_n}, B̄_n = (e^{Δλ_n} − 1)/λ_n · B_n
///   (8)  Vandermonde kernel K̄_j = 2 Re Σ_n C_n B̄_n Ā_n^j
///
/// Plain loops, templated on the real scalar S (float, double, Oracle); complex values are std::complex<S>.
/// Every function validates its arguments and throws std::invalid_argument naming the function, the argument and
/// the shapes it got (N < 1, L < 1, non-finite or non-positive step, mismatched shapes, non-finite entries).

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/ref/ssm/discretize.hpp"
#include "seqref/ref/ssm/fourier.hpp"

#include <complex>
#include <vector>

namespace seqref::ref {

/// Complex vectors (length N) and row-major complex matrices.
template <class S>
using CVector = std::vector<Complex<S>>;
template <class S>
using CMatrix = Eigen::Matrix<Complex<S>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// ---- (1) the Krylov kernel and the recurrence ---------------------------------------------------------------------

/// Eq. (1): K̄_j = C Ā^j B̄ for j = 0..L−1 with (Ā, B̄) = discretize(A, B, dt, method), by L matrix-vector products
/// x ← Ā x starting from x = B̄. A: N x N, B: N x 1, C: 1 x N (N >= 1), dt finite > 0, L >= 1. Returns L values.
template <class S>
std::vector<S> krylov_kernel(const Matrix<S>& A, const Matrix<S>& B, const Matrix<S>& C, S dt, Index L,
                             Discretization method = Discretization::bilinear);

/// Step (recurrent) mode: x_k = Ā x_{k−1} + B̄ u_k (x_{−1} = 0), y_k = C x_k, for k = 0..len(u)−1. Shapes as
/// krylov_kernel; u non-empty and finite. Equals causal_conv(krylov_kernel(..., L = len(u)), u).
template <class S>
std::vector<S> ssm_recurrence(const Matrix<S>& A, const Matrix<S>& B, const Matrix<S>& C, S dt, const std::vector<S>& u,
                              Discretization method = Discretization::bilinear);

// ---- (5) the Cauchy kernel ------------------------------------------------------------------------------------------

/// k(z_k) = Σ_n w_n / (z_k − λ_n) for every node z_k. w, lambda: length N >= 1 (same); z: >= 1 nodes. All finite.
/// A node equal to a pole λ_n gives an infinite/NaN term: documented, not checked (the caller's nodes avoid Λ).
template <class S>
CVector<S> cauchy_kernel(const CVector<S>& w, const CVector<S>& lambda, const CVector<S>& z);

// ---- NPLR / DPLR ----------------------------------------------------------------------------------------------------

/// A = V (Λ − P Q*) V*: the diagonal Λ (N), the low-rank factors P, Q (N, rank 1) in the original basis, and the
/// unitary V (N x N) that diagonalizes the normal part A + P Q*.
template <class S>
struct Nplr {
  CVector<S> Lambda;
  CVector<S> P, Q;
  CMatrix<S> V;
};

/// NPLR of HiPPO-LegS (paper convention, eq. above): P = Q = (√(n+½))_n, Λ = −½ − iμ with iS = V diag(μ) V*.
/// N >= 1. Throws std::invalid_argument for N < 1, or std::runtime_error if the symmetric eigensolver fails.
template <class S>
Nplr<S> legs_nplr(Index N);

/// V (Λ − P Q*) V* reassembled as a dense complex matrix (for checks of the decomposition).
template <class S>
CMatrix<S> nplr_dense(const Nplr<S>& nplr);

/// S4's parameters in the diagonal basis: Λ, P' = V*P, Q' = V*Q, B' = V*B, C̃' = C̃ V (all length N), and Δ.
template <class S>
struct DplrKernelParams {
  CVector<S> Lambda, P, Q, B, Ctilde;
  S dt = S(0);
};

/// Eq. (3)+(5): from a dense real system (A, B, C) and its NPLR (A = V(Λ − PQ*)V*, checked to rounding by the
/// caller's tests, not here), form C̃ = C (I − Ā^L) with the bilinear Ā (Ā^L by repeated squaring), and transform
/// to the diagonal basis. Shapes as krylov_kernel, nplr of size N; dt finite > 0, L >= 1.
template <class S>
DplrKernelParams<S> dplr_kernel_params(const Matrix<S>& A, const Matrix<S>& B, const Matrix<S>& C, const Nplr<S>& nplr,
                                       S dt, Index L);

/// Eq. (4)+(5): K̂(z) = 2/(1+z) · [k00 − k01 k10 / (1 + k11)] at each node (Woodbury per node), z ≠ −1.
/// A node z = −1 throws std::invalid_argument (use the limit, eq. 6: s4_kernel_dplr does).
template <class S>
CVector<S> s4_generating_function(const DplrKernelParams<S>& params, const CVector<S>& z);

/// Eq. (3)–(6): the S4 kernel K̄_0..K̄_{L−1}: K̂ at ω^k, k = 0..L−1 (Woodbury + Cauchy; even L: the node z = −1 by
/// its limit (Δ/2) C̃ B), then the inverse DFT (radix-2 FFT when L is a power of two, else the O(L²) DFT); the real
/// part is returned (the imaginary part is rounding for a real system). L >= 1; params of equal length N >= 1.
template <class S>
std::vector<S> s4_kernel_dplr(const DplrKernelParams<S>& params, Index L);

/// The same spectrum before the inverse DFT: K̂(ω^k), k = 0..L−1 (for tests of the node z = −1).
template <class S>
CVector<S> s4_kernel_spectrum(const DplrKernelParams<S>& params, Index L);

/// The "naive" route the S4 paper warns against: diagonalize A = W D W^{-1} numerically (Eigen's non-symmetric
/// EigenSolver), then K̄_j = Σ_n (C W)_n d̄_n^j (W^{-1} B̄)_n with bilinear d̄_n. Exact in exact arithmetic; its
/// error grows with the condition number of W (exponential in N for LegS). float and double only.
template <class S>
std::vector<S> eigendecomposition_kernel(const Matrix<S>& A, const Matrix<S>& B, const Matrix<S>& C, S dt, Index L);

// ---- S4D ----------------------------------------------------------------------------------------------------------

/// S4D initialisations (arXiv 2206.11893, sec. 4). Convention: seqref's N counts complex MODES, n = 0..N−1, each
/// with its conjugate implied; the paper's (and state-spaces/s4's) N is the real STATE size, twice seqref's N. The
/// formulas below are the paper's with its state size written as 2N. Imaginary parts are taken positive (the
/// conjugate set is the same system).
enum class S4dInit {
  lin,  ///< λ_n = −½ + iπn
  inv,  ///< λ_n = −½ + i(2N/π)(2N/(2n+1) − 1): the paper's (N_state/π)(N_state/(2n+1) − 1), N_state = 2N; all > 0
  real,  ///< λ_n = −(n+1)
};

/// The N modes (a state of size 2N) of an S4D initialisation (arXiv 2206.11893, sec. 4), N >= 1.
template <class S>
CVector<S> s4d_eigenvalues(S4dInit init, Index N);

/// Eq. (8) in general form: K̄_j = 2 Re Σ_n w_n z_n^j, j = 0..L−1, powers by repeated multiplication.
/// w, z: length N >= 1 (same), finite; L >= 1.
template <class S>
std::vector<S> vandermonde_kernel(const CVector<S>& w, const CVector<S>& z, Index L);

/// Eq. (7)+(8): the S4D kernel with ZOH: w_n = C_n B̄_n, z_n = e^{Δλ_n}. Lambda, B, C: length N (same), finite,
/// λ_n ≠ 0 (ZOH's B̄ divides by λ); dt finite > 0; L >= 1.
template <class S>
std::vector<S> s4d_kernel(const CVector<S>& Lambda, const CVector<S>& B, const CVector<S>& C, S dt, Index L);

/// The real 2N-state system equal to the S4D system with modes (λ_n, λ̄_n): per mode the block
/// A = [[Re λ, −Im λ], [Im λ, Re λ]], B = [Re B; Im B], C = [2 Re C, −2 Im C]. For checks: discretize(ZOH) +
/// krylov_kernel of it equals s4d_kernel.
template <class S>
void s4d_real_realization(const CVector<S>& Lambda, const CVector<S>& B, const CVector<S>& C, Matrix<S>& A_out,
                          Matrix<S>& B_out, Matrix<S>& C_out);

/// Eq. (7)+(8) in real arithmetic, for the 16-bit scalars (Eigen::half, Eigen::bfloat16; the judge's yardstick):
/// s4d_kernel with every complex operation written out on (re, im) pairs of S, each real operation rounded to S —
/// e^{x+iy} = e^x (cos y, sin y), the product (ac − bd, ad + bc), the quotient by Smith's scaling (c² + d² is never
/// formed, so |λ| > 256 does not overflow float16, as the float/double quotient of std::complex does not) — and the
/// powers z_n^j by repeated multiplication. Same arguments, checks and, to rounding, results as s4d_kernel.
template <class S>
std::vector<S> s4d_kernel_real(const std::vector<ComplexPair<S>>& Lambda, const std::vector<ComplexPair<S>>& B,
                               const std::vector<ComplexPair<S>>& C, S dt, Index L);

#define SEQREF_S4_EXTERN(S)                                                                                      \
  extern template std::vector<S> krylov_kernel(const Matrix<S>&, const Matrix<S>&, const Matrix<S>&, S, Index,   \
                                               Discretization);                                                  \
  extern template std::vector<S> ssm_recurrence(const Matrix<S>&, const Matrix<S>&, const Matrix<S>&, S,         \
                                                const std::vector<S>&, Discretization);                          \
  extern template CVector<S> cauchy_kernel(const CVector<S>&, const CVector<S>&, const CVector<S>&);             \
  extern template Nplr<S> legs_nplr(Index);                                                                      \
  extern template CMatrix<S> nplr_dense(const Nplr<S>&);                                                         \
  extern template DplrKernelParams<S> dplr_kernel_params(const Matrix<S>&, const Matrix<S>&, const Matrix<S>&,   \
                                                         const Nplr<S>&, S, Index);                              \
  extern template CVector<S> s4_generating_function(const DplrKernelParams<S>&, const CVector<S>&);              \
  extern template std::vector<S> s4_kernel_dplr(const DplrKernelParams<S>&, Index);                              \
  extern template CVector<S> s4_kernel_spectrum(const DplrKernelParams<S>&, Index);                              \
  extern template CVector<S> s4d_eigenvalues(S4dInit, Index);                                                    \
  extern template std::vector<S> vandermonde_kernel(const CVector<S>&, const CVector<S>&, Index);                \
  extern template std::vector<S> s4d_kernel(const CVector<S>&, const CVector<S>&, const CVector<S>&, S, Index);  \
  extern template void s4d_real_realization(const CVector<S>&, const CVector<S>&, const CVector<S>&, Matrix<S>&, \
                                            Matrix<S>&, Matrix<S>&);
SEQREF_S4_EXTERN(float)
SEQREF_S4_EXTERN(double)
SEQREF_S4_EXTERN(Oracle)
#undef SEQREF_S4_EXTERN
extern template std::vector<float> eigendecomposition_kernel(const Matrix<float>&, const Matrix<float>&,
                                                             const Matrix<float>&, float, Index);
extern template std::vector<double> eigendecomposition_kernel(const Matrix<double>&, const Matrix<double>&,
                                                              const Matrix<double>&, double, Index);

}  // namespace seqref::ref
