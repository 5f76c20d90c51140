#pragma once
/// \file
/// Properties of ssm/ssd (Mamba-2 SSD, arXiv 2405.21060), written once and used by the tests (ssd_ref_test,
/// ssd_equiv_test, ssd_cuda_test) and by `seqref report` (ssd_checks.cpp). Each returns what it measured.
///
/// Test problems: X, B, C, h0 ~ N(0, 1); a_t = −amax·U(0, 1) (a stable model: every decay in (0, 1]).
///
/// Error model (tier 2). Every SSD form sums, for each y_t, the non-negative weights exp(segment sum) times
/// products x_s B_s C_t; a componentwise bound of every form's terms is the recurrence run on absolute values,
///   Y_abs = recurrence(|X|, a, |B|, |C|, |h0|)    (h_abs likewise for the final state),
/// and every form's rounding error is at most γ_n·Y_abs with n = T + N + 4 (accumulation depth: at most T terms
/// in time — steps of the recurrence, or Q intra-chunk terms plus nc chunk steps — an N-term dot product, the
/// exponential and the segment sum, whose relative error k·u·|seg| enters as k·u·|seg|·e^{seg} <= k·u/e). The
/// verdict is on (‖y − y*‖/‖Y_abs‖)/(n·u) against K (a worst-case constant; typical errors are ~√n·u).
/// The oracle y* is the recurrence at Oracle (O(T·P·N), so every T is affordable).

#include "seqref/opt/ssm/ssd.hpp"
#include "seqref/ref/ssm/ssd.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::ssd {

inline constexpr std::string_view kMethod = "ssm/ssd";

/// An owning SSD problem.
template <class S>
struct Data {
  SsdShape shape;
  std::vector<S> X, A, B, C, h0;
  SsdProblem<S> problem() const { return {shape, X, A, B, C, h0}; }
  template <class T>
  Data<T> cast() const {
    auto c = [](const std::vector<S>& v) { return std::vector<T>(v.begin(), v.end()); };
    return {shape, c(X), c(A), c(B), c(C), c(h0)};
  }
};

/// The test problem of the file comment (h0 empty unless with_h0).
Data<double> make_problem(const SsdShape& shape, std::uint64_t seed, double amax = 0.5, bool with_h0 = true);

/// Which SSD form of the reference.
enum class Form { quadratic, chunked, recurrence };
std::string to_string(Form f, Index chunk);

/// Run a reference form at S; returns (Y, h_final).
template <class S>
std::pair<std::vector<S>, std::vector<S>> run_form(Form f, const Data<S>& d, Index chunk = 0);

// ---- tier 2: the reference ----------------------------------------------------------------------------------------

/// One reference form at double vs the recurrence at Oracle, y and h_final, judged as in the file comment
/// (op "form": (error/‖Y_abs‖)/(n·u) with n = T + N + 4; the larger of y's and h_final's).
Measured form_vs_oracle(Form f, const SsdShape& shape, Index chunk, std::uint64_t seed, double amax = 0.5);

/// The forms at Oracle agree with each other to ~1e-40 (an identity of the algebra, in u of double): the largest
/// relative difference of (quadratic, chunked at each chunk) from the recurrence, y and h_final.
double forms_identity_u(const SsdShape& shape, const std::vector<Index>& chunks, std::uint64_t seed);

/// Stable segsum = naive segsum wherever the naive one is finite, within the naive one's cancellation bound
/// |naive − stable| <= (2T + 2)·u·Σ|a| (op-free: a bound from the model, returned as pass/max ratio), for a ~
/// −amax·U(0,1) (and mixed signs when mixed).
template <class S>
Exact segsum_stable_matches_naive(Index T, std::uint64_t seed, double amax, bool mixed_signs);

/// A constructed overflow: a = (−big, −big, 0.5, −0.25, …) makes the naive cumsum −inf and the naive segsum NaN
/// (−inf − (−inf)), while the stable segsum stays finite (and exact: seg[2, 1] = 0.5) on and below the diagonal.
template <class S>
Exact stable_segsum_finite_where_naive_is_not();

/// Every exponent the cpu kernel forms for a chunk (cpu::ssd_chunk_decays) is <= 0 when a <= 0, and equals the
/// reference's stable segsum bit for bit (same order of additions). a includes exact zeros, tiny and large values.
template <class S>
Exact cpu_decays_nonpositive(Index q, std::uint64_t seed);

/// Splitting the sequence at `split` and carrying the final state into the second run equals one run: the
/// reference chunked form, both runs vs the Oracle (op "form"), and the pieces vs the single run.
Measured split_equals_one_run_ref(const SsdShape& shape, Index chunk, Index split, std::uint64_t seed);

/// SSD equals Mamba's selective scan (seqref::ref::selective_scan, Euler B̄ = ΔB, no D, no gating) for
/// channels c = h·P + p, δ_t[c] = Δ_{t,h}, A[c, n] = A_h, u = x/Δ: the recurrence, quadratic and chunked forms at
/// Oracle vs the selective scan at Oracle, relative difference in u of double (an identity: ~1e-30 u).
double ssd_equals_selective_scan_u(const SsdShape& shape, Index chunk, std::uint64_t seed);

// ---- tier 3: optimized vs oracle, relative to the reference -----------------------------------------------------

/// cpu::ssd at S vs the oracle (S = double: the Oracle recurrence; float: the double recurrence), relative to the
/// reference chunked form at S with the same chunk (op "chunked", backend cpu); y and h_final, the larger, each
/// normwise error divided by its condition number kappa = ‖Y_abs‖/‖y*‖ (‖h_abs‖/‖h*‖) first, so the floor of the
/// rule is kappa·u (cancellation scales both backends' errors and lets either be the luckier one).
/// with_h0 = false: no initial state (the kernel then skips the read-out of the zero state entering chunk 0 only;
/// every later chunk's must still be read out).
template <class S>
Measured cpu_vs_oracle(const SsdShape& shape, Index chunk, std::uint64_t seed, double amax = 0.5,
                       ScanSchedule scan = {}, bool with_h0 = true);

/// cpu::ssd with 1 thread vs `threads` threads at the same options: bit-identical y and h_final.
template <class S>
Exact cpu_thread_independent(const SsdShape& shape, Index chunk, int threads, std::uint64_t seed);

/// cpu::ssd split at a multiple of the chunk with the state carried: bit-identical to one run.
template <class S>
Exact cpu_split_bit_identical(const SsdShape& shape, Index chunk, Index split, std::uint64_t seed);

/// cuda::ssd (float) vs the double recurrence, relative to the float reference chunked form (op "chunked",
/// backend cuda), errors divided by kappa as for cpu_vs_oracle. Requires a device.
Measured cuda_vs_oracle(const SsdShape& shape, Index chunk, std::uint64_t seed, double amax = 0.5);

/// cuda::ssd_chunk_decays equals cpu::ssd_chunk_decays<float> bit for bit and is <= 0 for a <= 0. Device needed.
Exact cuda_decays_match_cpu(Index q, std::uint64_t seed);

}  // namespace seqref::verify::ssd
