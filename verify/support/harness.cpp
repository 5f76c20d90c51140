#include "verify/support/harness.hpp"

namespace seqref::verify {

std::vector<double> recurrence_error_model(Transition kind, Index batch, Index len, Index dim,
                                           const std::vector<double>& J, const std::vector<double>& b,
                                           const std::vector<double>& x0) {
  const Index B = batch, T = len, D = dim, JD = transition_size(kind, D);
  const long double n = kind == Transition::dense ? static_cast<long double>(D + 1) : 2.0L;
  const auto at = [](Index k) { return static_cast<std::size_t>(k); };
  std::vector<double> E(at(B * T * D));
  std::vector<long double> m(at(D)), e(at(D)), mn(at(D)), en(at(D));
  for (Index beta = 0; beta < B; ++beta) {
    for (Index i = 0; i < D; ++i) {
      m[at(i)] = x0.empty() ? 0.0L : std::fabs(static_cast<long double>(x0[at(beta * D + i)]));
      e[at(i)] = 0;
    }
    for (Index t = 0; t < T; ++t) {
      const Index step = beta * T + t;
      const double* Jt = J.data() + step * JD;
      for (Index i = 0; i < D; ++i) {
        long double am = 0, ae = 0;
        for (Index j = 0; j < D; ++j) {
          double Jij = 0;
          switch (kind) {
            case Transition::scalar: Jij = i == j ? Jt[0] : 0; break;
            case Transition::diagonal: Jij = i == j ? Jt[i] : 0; break;
            case Transition::dense: Jij = Jt[i * D + j]; break;
          }
          am += std::fabs(static_cast<long double>(Jij)) * m[at(j)];
          ae += std::fabs(static_cast<long double>(Jij)) * e[at(j)];
        }
        mn[at(i)] = am + std::fabs(static_cast<long double>(b[at(step * D + i)]));
        en[at(i)] = ae + n * mn[at(i)];
      }
      m.swap(mn);
      e.swap(en);
      for (Index i = 0; i < D; ++i) E[at(step * D + i)] = static_cast<double>(e[at(i)]);
    }
  }
  return E;
}

}  // namespace seqref::verify
