// `seqref report` checks for ssm/selective_scan (Mamba S6): the property functions of the test suites at fixed
// sizes. Errors are in model units u·(error model) (selective_scan_properties.hpp), not plain u.

#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/ssm/selective_scan_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::selective_scan {
namespace {

const std::string method(kMethod);

Variant mamba_default() {  // softplus, bias, D, z-gate, h0, Euler: every option on
  Variant v;
  v.h0 = true;
  return v;
}

Variant zoh() {
  Variant v = mamba_default();
  v.discretization = BDiscretization::zoh;
  return v;
}

// ---- tier 1-2 ------------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "reference f64 vs Oracle, all options, T=2049 (model units)", "ref",
                      [] { return outcome_of(reference_vs_exact<double>(1, 2049, 1, 2, mamba_default(), 1)); });
SEQREF_REGISTER_CHECK(method, "reference f64 vs Oracle, ZOH, T=129, dstate 5 (model units)", "ref",
                      [] { return outcome_of(reference_vs_exact<double>(2, 129, 3, 5, zoh(), 2)); });
SEQREF_REGISTER_CHECK(method, "delta = 0 gives y = D u (ref, bit-exact)", "ref",
                      [] { return outcome_of(zero_delta_gives_Du("ref", 2, 129, 3, 4, 3)); });
SEQREF_REGISTER_CHECK(method, "A = 0 gives the running sum (ref, integers, bit-exact)", "ref",
                      [] { return outcome_of(zero_A_is_running_sum("ref", 2, 2049, 3, 4, 0, 4)); });
SEQREF_REGISTER_CHECK(method, "split at t=127 and carry the state = one run (ref and cpu)", "ref",
                      [] { return outcome_of(split_carry_bit_identical(2, 2049, 17, 3, 127, 5)); });
SEQREF_REGISTER_CHECK(method, "ZOH - Euler = O(delta^2): observed order (2 expected)", "ref", [] {
  const Order o = zoh_euler_order(16, 3, 4, 6);
  CheckOutcome c;
  c.error_u = std::abs(o.order - 2.0);  // not an error in u: the deviation of the observed order from 2
  c.bound_u = 0.02;
  c.pass = c.error_u <= c.bound_u;
  c.detail = "|order - 2| (not u); " + o.detail;
  return c;
});

// ---- tier 3, cpu ---------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(method, "cpu f64 fused, chunk 7, vs Oracle, T=2049 (model units)", "cpu",
                      [] { return outcome_of(cpu_vs_exact<double>(1, 2049, 3, 1, mamba_default(), 7, 2, 7)); });
SEQREF_REGISTER_CHECK(
    method, "cpu f32 fused, auto chunk, vs f64 ref, 17 ch, dstate 16, T=2047 (model units; speedup on 1 thread)", "cpu",
    [] {
      auto o = outcome_of(cpu_vs_exact<float>(2, 2047, 17, 16, mamba_default(), 0, 2, 8));
      // speedup per core: the f32 reference over the cpu kernel on one thread (both single-threaded: on this shared
      // 2-core machine a 2-thread timing measures the neighbours), batch 2, 128 channels, dstate 16, T 2048
      const Problem p = make_problem(2, 2048, 128, 16, mamba_default(), 9).rounded<float>();
      const Arrays<float> a(p);
      std::vector<float> y(static_cast<std::size_t>(2 * 2048 * 128)), h(static_cast<std::size_t>(2 * 128 * 16));
      const double t_ref = median_seconds([&] { ref::selective_scan<float>(a.view(), y, h); });
      const double t_cpu = median_seconds([&] {
        cpu::selective_scan(a.view(), std::span<float>(y), std::span<float>(h), ScanSchedule{0, 1});
      });
      o.speedup = t_ref / t_cpu;
      return o;
    });
SEQREF_REGISTER_CHECK(method, "cpu f32 fused, ZOH, chunk 128, 1 sequence, T=2049 (model units)", "cpu",
                      [] { return outcome_of(cpu_vs_exact<float>(1, 2049, 3, 4, zoh(), 128, 2, 10)); });
SEQREF_REGISTER_CHECK(method, "cpu: 1 vs 2 threads at chunk 64 (f32 and f64)", "cpu",
                      [] { return outcome_of(cpu_threads_bit_identical(2, 2049, 17, 5, 64, 2, 11)); });
SEQREF_REGISTER_CHECK(method,
                      "cpu: A = 0 running sum at chunk 7, delta in {1,2,3}, Euler and ZOH (integers, bit-exact)", "cpu",
                      [] { return outcome_of(zero_A_is_running_sum("cpu", 2, 2049, 19, 4, 7, 12)); });
// the second lane block of both precisions: 65 channels (64 floats / 32 doubles per block), both precisions
SEQREF_REGISTER_CHECK(method, "cpu f32 fused, 65 ch (two lane blocks + 1), ZOH, T=129 (model units)", "cpu",
                      [] { return outcome_of(cpu_vs_exact<float>(2, 129, 65, 4, zoh(), 0, 2, 16)); });
SEQREF_REGISTER_CHECK(method, "cpu f64 fused, 65 ch (three lane blocks), all options, T=129 (model units)", "cpu",
                      [] { return outcome_of(cpu_vs_exact<double>(1, 129, 65, 3, mamba_default(), 0, 2, 17)); });
SEQREF_REGISTER_CHECK(method, "cpu: A = 0 running sum, 67 ch (second lane block), auto chunk (bit-exact)", "cpu",
                      [] { return outcome_of(zero_A_is_running_sum("cpu", 1, 600, 67, 3, 0, 18)); });
SEQREF_REGISTER_CHECK(method, "cpu: delta = 0 gives y = D u (bit-exact)", "cpu",
                      [] { return outcome_of(zero_delta_gives_Du("cpu", 2, 129, 17, 4, 13)); });

// ---- tier 3, cuda --------------------------------------------------------------------------------------------------
SEQREF_REGISTER_CHECK(
    method, "cuda f32 fused block scan vs f64 ref, 17 ch, dstate 16, T=2049 (model units)", "cuda",
    [] {
      return cuda::available() ? outcome_of(cuda_vs_exact(2, 2049, 17, 16, mamba_default(), 0, 14)) : cuda_skipped();
    },
    "SelectiveScanCuda");
SEQREF_REGISTER_CHECK(
    method, "cuda: A = 0 running sum, tile 256 (integers, bit-exact)", "cuda",
    [] {
      return cuda::available() ? outcome_of(zero_A_is_running_sum("cuda", 2, 2049, 19, 4, 256, 15)) : cuda_skipped();
    },
    "SelectiveScanCuda");

}  // namespace
}  // namespace seqref::verify::selective_scan
