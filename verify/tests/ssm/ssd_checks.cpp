// `seqref report` checks for ssm/ssd (Mamba-2 state space duality): the property functions of the test suites at
// small sizes (well under a second together). Errors are in units of u of the precision under test; the tier-2
// rows are (error/|terms|)/n, see ssd_properties.hpp.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/ssm/ssd_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::ssd {
namespace {

const std::string method(kMethod);

// ---- tier 2 ----------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "quadratic form (L o CB^T)X f64 vs Oracle recurrence (T=129)", "ref", [] {
  return outcome_of(form_vs_oracle(Form::quadratic, SsdShape{1, 129, 2, 3, 1, 4}, 0, 1));
});
SEQREF_REGISTER_CHECK(method, "chunked (Q=64, partial last chunk) f64 vs Oracle (T=129)", "ref", [] {
  return outcome_of(form_vs_oracle(Form::chunked, SsdShape{1, 129, 2, 3, 1, 4}, 64, 2));
});
SEQREF_REGISTER_CHECK(method, "chunked (Q=3) f64 vs Oracle (T=2049)", "ref", [] {
  return outcome_of(form_vs_oracle(Form::chunked, SsdShape{1, 2049, 1, 2, 1, 2}, 3, 3, 0.2));
});
SEQREF_REGISTER_CHECK(method, "recurrence (scan engine, scalar J) f64 vs Oracle (T=2048)", "ref", [] {
  return outcome_of(form_vs_oracle(Form::recurrence, SsdShape{1, 2048, 1, 2, 1, 2}, 0, 4, 0.2));
});
SEQREF_REGISTER_CHECK(method, "quadratic = chunked (Q=1,2,3,5,13,20) = recurrence at Oracle", "ref", [] {
  return outcome_within(forms_identity_u(SsdShape{2, 13, 2, 2, 2, 3}, {1, 2, 3, 5, 13, 20}, 5), 1e-20,
                        "identity of the algebra at 50 digits, in u of f64");
});
SEQREF_REGISTER_CHECK(method, "SSD = selective scan (A[c,n] = A_h, Euler, delta folded into X) at Oracle", "ref", [] {
  return outcome_within(ssd_equals_selective_scan_u(SsdShape{1, 37, 2, 3, 1, 4}, 8, 6), 1e-20,
                        "recurrence, quadratic and chunked forms vs seqref::ref::selective_scan, in u of f64");
});
SEQREF_REGISTER_CHECK(method, "split at t=50 with the state carried = one run (f64 vs Oracle)", "ref", [] {
  return outcome_of(split_equals_one_run_ref(SsdShape{1, 129, 2, 3, 1, 4}, 16, 50, 7));
});
SEQREF_REGISTER_CHECK(method, "stable segsum = naive where finite (T=300, a<=0 and mixed)", "ref", [] {
  const auto a = segsum_stable_matches_naive<double>(300, 8, 3.0, false);
  const auto b = segsum_stable_matches_naive<double>(300, 9, 3.0, true);
  return outcome_of_property(Exact{a.pass && b.pass, a.detail + "; " + b.detail});
});
SEQREF_REGISTER_CHECK(method, "stable segsum finite where naive gives NaN (cumsum overflow)", "ref",
                      [] { return outcome_of_property(stable_segsum_finite_where_naive_is_not<double>()); });

// ---- tier 3: cpu -------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "cpu kernel exponents <= 0 for a <= 0 and = reference segsum (q=64)", "cpu", [] {
  const auto f = cpu_decays_nonpositive<float>(64, 10);
  const auto d = cpu_decays_nonpositive<double>(64, 11);
  return outcome_of_property(Exact{f.pass && d.pass, f.detail + "; " + d.detail});
});
SEQREF_REGISTER_CHECK(method, "cpu chunked f64 vs Oracle (T=129, Q=64)", "cpu", [] {
  return outcome_of(cpu_vs_oracle<double>(SsdShape{2, 129, 2, 3, 1, 4}, 64, 12));
});
// no h0: only chunk 0's entering state is zero (and skipped); chunks 1, 2 read theirs out
SEQREF_REGISTER_CHECK(method, "cpu chunked f64 vs Oracle, no h0 (T=129, Q=64: three chunks)", "cpu", [] {
  return outcome_of(cpu_vs_oracle<double>(SsdShape{2, 129, 2, 3, 1, 4}, 64, 17, 0.5, {}, false));
});
SEQREF_REGISTER_CHECK(method, "cpu chunked f32 vs f64 (T=2049, H=4, P=64, N=16, Q=64; speedup 1 thread)", "cpu", [] {
  auto o = outcome_of(cpu_vs_oracle<float>(SsdShape{1, 2049, 4, 64, 1, 16}, 64, 13, 0.2));
  // speedup per core: the f32 reference chunked form over the cpu kernel on one thread, median of 3 (one thread: a
  // loaded 2-core machine distorts two-thread timings of a few milliseconds by up to 5x)
  const SsdShape s{1, 2049, 4, 64, 1, 16};
  const auto d = make_problem(s, 13, 0.2).cast<float>();
  std::vector<float> y(static_cast<std::size_t>(s.x_size()));
  SsdOptions one;
  one.scan.threads = 1;
  const double t_ref = median_seconds([&] { ref::ssd_chunked<float>(d.problem(), 64, y); });
  const double t_cpu = median_seconds([&] { cpu::ssd(d.problem(), y, {}, one); }, 5);
  o.speedup = t_ref / t_cpu;
  return o;
});
SEQREF_REGISTER_CHECK(method, "cpu engine chunks of chunks (scan.chunk=2) f64 vs Oracle", "cpu", [] {
  return outcome_of(cpu_vs_oracle<double>(SsdShape{1, 300, 2, 3, 1, 4}, 7, 14, 0.3, ScanSchedule{2, 3}));
});
SEQREF_REGISTER_CHECK(method, "cpu 1 thread vs 4 threads", "cpu", [] {
  return outcome_of(cpu_thread_independent<float>(SsdShape{2, 333, 3, 8, 3, 8}, 32, 4, 15));
});
SEQREF_REGISTER_CHECK(method, "cpu split at a chunk boundary = one run", "cpu", [] {
  return outcome_of(cpu_split_bit_identical<float>(SsdShape{2, 129, 2, 4, 1, 8}, 16, 64, 16));
});

// ---- tier 3: cuda ------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(
    method, "cuda chunked f32 vs f64 (T=2049, H=4, P=64, N=16, Q=64)", "cuda",
    [] {
      return cuda::available() ? outcome_of(cuda_vs_oracle(SsdShape{1, 2049, 4, 64, 1, 16}, 64, 17, 0.2))
                               : cuda_skipped();
    },
    "SsdCuda");
SEQREF_REGISTER_CHECK(
    method, "cuda kernel exponents = cpu's, <= 0 (q=64)", "cuda",
    [] { return cuda::available() ? outcome_of_property(cuda_decays_match_cpu(64, 18)) : cuda_skipped(); }, "SsdCuda");

}  // namespace
}  // namespace seqref::verify::ssd
