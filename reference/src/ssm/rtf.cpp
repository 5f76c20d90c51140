// Reference RTF (arXiv 2405.06147; kexue.fm/archives/10180): the FFT kernel (eq. 2), the companion realization and
// its O(N) recurrence (eq. 3), dense powers, and the conversion from a dense realization (eqs. 4-5).
// Explicit instantiations for float, double and Oracle at the end of this file.

#include "seqref/ref/ssm/rtf.hpp"

#include "seqref/core/limits.hpp"
#include "seqref/core/validate.hpp"
#include "seqref/ref/ssm/fourier.hpp"

#include <cmath>
#include <string>

namespace seqref::ref {

namespace {

template <class S>
void require_finite_vector(const std::vector<S>& v, std::string_view fn, std::string_view name) {
  using std::isfinite;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!isfinite(v[i]))
      invalid_argument(fn, std::string(name) + " has a non-finite value at index " + std::to_string(i) + " (length " +
                               std::to_string(v.size()) + ")");
}

template <class S>
void check_coefficients(const std::vector<S>& a, const std::vector<S>& b, std::string_view fn) {
  require(!a.empty() && a.size() == b.size(), fn,
          "a and b must have the same length N >= 1; got a of length " + std::to_string(a.size()) +
              " and b of length " + std::to_string(b.size()));
  require_finite_vector(a, fn, "a");
  require_finite_vector(b, fn, "b");
}

std::string shape(Index r, Index c) { return "[" + std::to_string(r) + ", " + std::to_string(c) + "]"; }

template <class S>
void check_system(const SisoSystem<S>& sys, std::string_view fn) {
  const Index N = sys.A.rows();
  require(
      N >= 1 && sys.A.cols() == N && sys.B.rows() == N && sys.B.cols() == 1 && sys.C.rows() == 1 && sys.C.cols() == N,
      fn,
      "need A [N, N], B [N, 1], C [1, N] with N >= 1; got A " + shape(sys.A.rows(), sys.A.cols()) + ", B " +
          shape(sys.B.rows(), sys.B.cols()) + ", C " + shape(sys.C.rows(), sys.C.cols()));
  using std::isfinite;
  auto finite = [](const Matrix<S>& m) {
    for (Index i = 0; i < m.rows(); ++i)
      for (Index j = 0; j < m.cols(); ++j)
        if (!isfinite(m(i, j))) return false;
    return true;
  };
  require(finite(sys.A) && finite(sys.B) && finite(sys.C), fn, "A, B and C must be finite");
}

template <class S>
std::vector<Complex<S>> transform(const std::vector<Complex<S>>& x, bool inverse) {
  const Index n = static_cast<Index>(x.size());
  return (n & (n - 1)) == 0 ? fft(x, inverse) : dft(x, inverse);
}

}  // namespace

// ---- eq. (2): the kernel by one division in the frequency domain --------------------------------------------------
template <class S>
std::vector<S> rtf_kernel(const std::vector<S>& a, const std::vector<S>& b, Index L) {
  constexpr std::string_view fn = "seqref::ref::rtf_kernel";
  check_coefficients(a, b, fn);
  require(L >= 1, fn, "L must be >= 1; got " + std::to_string(L));
  const Index N = static_cast<Index>(a.size());
  // three transforms of length L: O(L log L) for a power of 2, the O(L^2) DFT otherwise
  const double l = double(L), per = (L & (L - 1)) == 0 ? 10.0 * std::log2(l + 1) : 8.0 * l;
  require_memory(fn, 4.0 * l * sizeof(Complex<S>), "a kernel of length L = " + std::to_string(L));
  require_work(fn, 3.0 * l * per + double(N), "a kernel of length L = " + std::to_string(L));
  // Coefficient sequences of the two polynomials, zero-padded to L (folded modulo L when N + 1 > L: evaluation at
  // the L-th roots of unity only sees the exponents modulo L).
  std::vector<Complex<S>> den(static_cast<std::size_t>(L), Complex<S>(S(0), S(0))), num = den;
  den[0] += Complex<S>(S(1), S(0));  // 1 + a_1 z + … + a_N z^N
  for (Index i = 1; i <= N; ++i) {
    den[static_cast<std::size_t>(i % L)] += Complex<S>(a[static_cast<std::size_t>(i - 1)], S(0));
    num[static_cast<std::size_t>((i - 1) % L)] += Complex<S>(b[static_cast<std::size_t>(i - 1)], S(0));  // b_i z^{i−1}
  }
  const auto A = transform(den, false), B = transform(num, false);
  std::vector<Complex<S>> H(static_cast<std::size_t>(L));
  for (Index j = 0; j < L; ++j) {
    const Complex<S>& Aj = A[static_cast<std::size_t>(j)];
    require(!(Aj.real() == S(0) && Aj.imag() == S(0)), fn,
            "the denominator 1 + a_1 z + ... + a_N z^N vanishes at the L-th root of unity z = exp(-2 pi i " +
                std::to_string(j) + "/" + std::to_string(L) + ") (N = " + std::to_string(N) +
                ", L = " + std::to_string(L) + ")");
    H[static_cast<std::size_t>(j)] = B[static_cast<std::size_t>(j)] / Aj;  // G at z = ω^j
  }
  const auto h = transform(H, true);
  std::vector<S> kernel(static_cast<std::size_t>(L));
  using std::isfinite;
  for (Index k = 0; k < L; ++k) {
    kernel[static_cast<std::size_t>(k)] = h[static_cast<std::size_t>(k)].real();  // G has real coefficients
    require(static_cast<bool>(isfinite(kernel[static_cast<std::size_t>(k)])), fn,
            "kernel overflows at k = " + std::to_string(k) +
                ": the denominator nearly vanishes at an L-th root of unity (N = " + std::to_string(N) +
                ", L = " + std::to_string(L) + ")");
  }
  return kernel;
}

// ---- eq. (3): the companion realization and its O(N) recurrence --------------------------------------------------
template <class S>
SisoSystem<S> rtf_companion(const std::vector<S>& a, const std::vector<S>& b) {
  check_coefficients(a, b, "seqref::ref::rtf_companion");
  const Index N = static_cast<Index>(a.size());
  SisoSystem<S> sys{Matrix<S>::Zero(N, N), Matrix<S>::Zero(N, 1), Matrix<S>::Zero(1, N)};
  for (Index i = 0; i < N; ++i) {
    sys.A(0, i) = -a[static_cast<std::size_t>(i)];  // first row: −a_1 … −a_N
    if (i >= 1) sys.A(i, i - 1) = S(1);             // sub-diagonal shift
    sys.C(0, i) = b[static_cast<std::size_t>(i)];
  }
  sys.B(0, 0) = S(1);  // e_1
  return sys;
}

template <class S>
RtfStepper<S>::RtfStepper(std::vector<S> a, std::vector<S> b) : a_(std::move(a)), b_(std::move(b)) {
  check_coefficients(a_, b_, "seqref::ref::RtfStepper");
  x_.assign(a_.size(), S(0));
}

template <class S>
S RtfStepper<S>::step(S u) {
  const std::size_t N = a_.size();
  S w = u;  // w_t = u_t − a_1 w_{t−1} − … − a_N w_{t−N}   (first row of Ā_c, plus e_1 u_t)
  for (std::size_t i = 0; i < N; ++i) w -= a_[i] * x_[i];
  for (std::size_t i = N - 1; i >= 1; --i) x_[i] = x_[i - 1];  // the shift rows of Ā_c
  x_[0] = w;
  S y = S(0);  // y_t = b · x_t
  for (std::size_t i = 0; i < N; ++i) y += b_[i] * x_[i];
  return y;
}

template <class S>
std::vector<S> rtf_recurrence(const std::vector<S>& a, const std::vector<S>& b, const std::vector<S>& u) {
  require_finite_vector(u, "seqref::ref::rtf_recurrence", "u");
  RtfStepper<S> stepper(a, b);
  std::vector<S> y;
  y.reserve(u.size());
  for (const S& ut : u) y.push_back(stepper.step(ut));
  return y;
}

// ---- dense powers and the conversion of eqs. (4)-(5) -------------------------------------------------------------
template <class S>
std::vector<S> dense_kernel(const SisoSystem<S>& sys, Index L) {
  constexpr std::string_view fn = "seqref::ref::dense_kernel";
  check_system(sys, fn);
  require(L >= 1, fn, "L must be >= 1; got " + std::to_string(L));
  const double n = double(sys.A.rows());
  require_memory(fn, double(L) * sizeof(S), "a kernel of length L = " + std::to_string(L));
  require_work(fn, double(L) * 2 * n * n,
               "a kernel of length L = " + std::to_string(L) + " (N = " + std::to_string(sys.A.rows()) + ")");
  std::vector<S> h(static_cast<std::size_t>(L));
  Matrix<S> v = sys.B;  // Ā^k B̄
  for (Index k = 0; k < L; ++k) {
    h[static_cast<std::size_t>(k)] = (sys.C * v)(0, 0);
    v = (sys.A * v).eval();
  }
  return h;
}

template <class S>
std::vector<S> characteristic_polynomial(const Matrix<S>& A) {
  constexpr std::string_view fn = "seqref::ref::characteristic_polynomial";
  const Index N = A.rows();
  require(N >= 1 && A.cols() == N, fn, "A must be square with N >= 1; got " + shape(A.rows(), A.cols()));
  const Matrix<S> I = Matrix<S>::Identity(N, N);
  Matrix<S> M = Matrix<S>::Zero(N, N);
  std::vector<S> c(static_cast<std::size_t>(N));
  S c_prev = S(1);
  for (Index k = 1; k <= N; ++k) {
    M = (A * M + c_prev * I).eval();   // M_k = A M_{k−1} + c_{k−1} I
    c_prev = -(A * M).trace() / S(k);  // c_k = −tr(A M_k)/k
    c[static_cast<std::size_t>(k - 1)] = c_prev;
  }
  return c;
}

template <class S>
RtfCoefficients<S> rtf_from_dense(const SisoSystem<S>& sys) {
  check_system(sys, "seqref::ref::rtf_from_dense");
  RtfCoefficients<S> rtf;
  rtf.a = characteristic_polynomial<S>(sys.A);                                            // det(λI − Ā)
  const std::vector<S> c = characteristic_polynomial<S>((sys.A - sys.B * sys.C).eval());  // det(λI − Ā + B̄C̄)
  rtf.b.resize(rtf.a.size());
  for (std::size_t i = 0; i < rtf.a.size(); ++i) rtf.b[i] = c[i] - rtf.a[i];  // the λ^N terms cancel
  return rtf;
}

template <class S>
SisoSystem<S> truncation_corrected(const SisoSystem<S>& sys, Index L) {
  constexpr std::string_view fn = "seqref::ref::truncation_corrected";
  check_system(sys, fn);
  require(L >= 1, fn, "L must be >= 1; got " + std::to_string(L));
  const Index N = sys.A.rows();
  Matrix<S> power = Matrix<S>::Identity(N, N), base = sys.A;  // Ā^L by repeated squaring
  for (Index e = L; e > 0; e /= 2) {
    if (e % 2) power = (power * base).eval();
    base = (base * base).eval();
  }
  SisoSystem<S> out = sys;
  out.C = (sys.C * (Matrix<S>::Identity(N, N) - power)).eval();  // C̃ = C̄(I − Ā^L)
  return out;
}

#define SEQREF_RTF_INSTANTIATE(S)                                                                              \
  template std::vector<S> rtf_kernel(const std::vector<S>&, const std::vector<S>&, Index);                     \
  template SisoSystem<S> rtf_companion(const std::vector<S>&, const std::vector<S>&);                          \
  template std::vector<S> rtf_recurrence(const std::vector<S>&, const std::vector<S>&, const std::vector<S>&); \
  template class RtfStepper<S>;                                                                                \
  template std::vector<S> dense_kernel(const SisoSystem<S>&, Index);                                           \
  template std::vector<S> characteristic_polynomial(const Matrix<S>&);                                         \
  template RtfCoefficients<S> rtf_from_dense(const SisoSystem<S>&);                                            \
  template SisoSystem<S> truncation_corrected(const SisoSystem<S>&, Index);
SEQREF_RTF_INSTANTIATE(float)
SEQREF_RTF_INSTANTIATE(double)
SEQREF_RTF_INSTANTIATE(Oracle)

}  // namespace seqref::ref
