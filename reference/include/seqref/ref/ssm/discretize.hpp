#pragma once
/// \file
/// Discretizations of the continuous linear system x'(t) = A x(t) + B u(t) with step Δ, for the reference tier
/// (templated on the scalar; float, double, Oracle). One place for every SSM method (HiPPO, S4, RTF, Mamba):
///
///   forward Euler   Ā = I + ΔA,                    B̄ = ΔB
///   backward Euler  Ā = (I − ΔA)⁻¹,                B̄ = (I − ΔA)⁻¹ ΔB
///   bilinear        Ā = (I − Δ/2 A)⁻¹(I + Δ/2 A),  B̄ = (I − Δ/2 A)⁻¹ ΔB
///   ZOH             Ā = e^{ΔA},                    B̄ = ∫₀^Δ e^{sA} ds B   (A need not be invertible)
///
/// and x_k = Ā x_{k−1} + B̄ u_k. ZOH takes both from one exponential of the block matrix [[A, B], [0, 0]]·Δ,
/// whose top-right block is ∫₀^Δ e^{sA} ds B (Van Loan); the exponential is scaling-and-squaring with a Taylor
/// series summed to the precision of the scalar, so it runs at Oracle precision too.

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"

#include <string_view>

namespace seqref::ref {

enum class Discretization { forward_euler, backward_euler, bilinear, zoh };

std::string_view to_string(Discretization method);

template <class S>
struct DiscreteSystem {
  Matrix<S> A;  ///< Ā, N x N
  Matrix<S> B;  ///< B̄, N x M
};

/// Ā, B̄ for step dt. A: N x N, B: N x M (N, M >= 1), dt finite and > 0. Throws std::invalid_argument otherwise,
/// or when I − ΔA (backward Euler) / I − Δ/2 A (bilinear) is singular.
template <class S>
DiscreteSystem<S> discretize(const Matrix<S>& A, const Matrix<S>& B, S dt, Discretization method);

/// e^{M} by scaling and squaring: e^{M} = (e^{M/2^s})^{2^s} with ‖M/2^s‖₁ <= 1/2 and the Taylor series of
/// e^{M/2^s} summed until a term no longer changes the sum. M square, finite.
template <class S>
Matrix<S> matrix_exponential(const Matrix<S>& M);

}  // namespace seqref::ref
