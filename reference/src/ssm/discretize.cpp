// Reference discretizations (forward/backward Euler, bilinear, ZOH) and the matrix exponential.

#include "seqref/ref/ssm/discretize.hpp"

#include "seqref/core/validate.hpp"

#include <Eigen/LU>

#include <cmath>
#include <string>

namespace seqref::ref {

std::string_view to_string(Discretization method) {
  switch (method) {
    case Discretization::forward_euler: return "forward_euler";
    case Discretization::backward_euler: return "backward_euler";
    case Discretization::bilinear: return "bilinear";
    case Discretization::zoh: return "zoh";
  }
  return "?";
}

template <class S>
Matrix<S> matrix_exponential(const Matrix<S>& M) {
  constexpr std::string_view fn = "seqref::ref::matrix_exponential";
  require(M.rows() == M.cols() && M.rows() >= 1, fn,
          "M must be square and non-empty; got " + std::to_string(M.rows()) + " x " + std::to_string(M.cols()));
  using std::isfinite;
  for (Index i = 0; i < M.size(); ++i)
    require(static_cast<bool>(isfinite(M.data()[i])), fn, "M has a non-finite entry");
  const Index n = M.rows();
  // ‖M‖₁ (max column sum) and the number of squarings s with ‖M‖₁ / 2^s <= 1/2
  S norm = S(0);
  for (Index j = 0; j < n; ++j) {
    S col = S(0);
    for (Index i = 0; i < n; ++i) {
      using std::abs;
      col += abs(M(i, j));
    }
    if (col > norm) norm = col;
  }
  int s = 0;
  S scaled_norm = norm;
  while (scaled_norm > S(0.5)) scaled_norm /= S(2), ++s;
  const Matrix<S> X = M / S(std::ldexp(1.0, s));
  // Taylor: Σ X^k / k!, until the term is below the scalar's epsilon relative to the sum (norm <= 1/2: fast)
  Matrix<S> sum = Matrix<S>::Identity(n, n), term = Matrix<S>::Identity(n, n);
  const S eps = std::numeric_limits<S>::epsilon();
  for (int k = 1; k < 1000; ++k) {
    term = (term * X) / S(k);
    sum += term;
    if (term.cwiseAbs().maxCoeff() <= eps * sum.cwiseAbs().maxCoeff()) break;
  }
  for (int i = 0; i < s; ++i) sum = sum * sum;  // undo the scaling
  return sum;
}

template <class S>
DiscreteSystem<S> discretize(const Matrix<S>& A, const Matrix<S>& B, S dt, Discretization method) {
  constexpr std::string_view fn = "seqref::ref::discretize";
  const Index N = A.rows();
  require(N >= 1 && A.cols() == N && B.rows() == N && B.cols() >= 1, fn,
          "A must be N x N and B N x M with N, M >= 1; got A " + std::to_string(A.rows()) + " x " +
              std::to_string(A.cols()) + ", B " + std::to_string(B.rows()) + " x " + std::to_string(B.cols()));
  using std::isfinite;
  require(static_cast<bool>(isfinite(dt)) && dt > S(0), fn, "dt must be finite and > 0");
  for (Index i = 0; i < A.size(); ++i)
    require(static_cast<bool>(isfinite(A.data()[i])), fn, "A has a non-finite entry");
  for (Index i = 0; i < B.size(); ++i)
    require(static_cast<bool>(isfinite(B.data()[i])), fn, "B has a non-finite entry");
  const Matrix<S> I = Matrix<S>::Identity(N, N);
  auto solve = [&](const Matrix<S>& lhs, const Matrix<S>& rhs) {
    Eigen::FullPivLU<Matrix<S>> lu(lhs);
    require(lu.isInvertible(), fn, std::string("I - dt*A is singular for ") + std::string(to_string(method)));
    return Matrix<S>(lu.solve(rhs));
  };
  switch (method) {
    case Discretization::forward_euler: return {I + dt * A, dt * B};
    case Discretization::backward_euler: return {solve(I - dt * A, I), solve(I - dt * A, dt * B)};
    case Discretization::bilinear: {
      const Matrix<S> lhs = I - (dt / S(2)) * A;
      return {solve(lhs, I + (dt / S(2)) * A), solve(lhs, dt * B)};
    }
    case Discretization::zoh: {
      const Index M = B.cols();
      Matrix<S> block = Matrix<S>::Zero(N + M, N + M);  // [[A, B], [0, 0]] dt
      block.topLeftCorner(N, N) = dt * A;
      block.topRightCorner(N, M) = dt * B;
      const Matrix<S> E = matrix_exponential(block);
      return {E.topLeftCorner(N, N), E.topRightCorner(N, M)};
    }
  }
  invalid_argument(fn, "unknown discretization");
}

#define SEQREF_INSTANTIATE_DISCRETIZE(S)                      \
  template Matrix<S> matrix_exponential<S>(const Matrix<S>&); \
  template DiscreteSystem<S> discretize<S>(const Matrix<S>&, const Matrix<S>&, S, Discretization);
SEQREF_INSTANTIATE_DISCRETIZE(float)
SEQREF_INSTANTIATE_DISCRETIZE(double)
SEQREF_INSTANTIATE_DISCRETIZE(Oracle)

}  // namespace seqref::ref
