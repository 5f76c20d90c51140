// libseqref_gpu_capi.so: a C ABI over seqref's CUDA device entry points, for callers that hold the device memory
// themselves — tools/gpu-peers loads it with ctypes and passes PyTorch's device pointers and current stream, so
// seqref's kernels and PyTorch's are timed in one process, interleaved, on one stream.
//
// Conventions (every kernel entry):
//   - pointers are DEVICE pointers of the current device (device 0 unless the caller changed it), row-major and
//     contiguous with the layouts of the seqref headers named below; sizes are long long; `stream` is a
//     cudaStream_t (nullptr: the legacy default stream). Launches are asynchronous on `stream`.
//   - return 0 success, 1 invalid argument (std::invalid_argument), 2 any other failure (std::exception, a CUDA
//     error), 3 no usable CUDA device. Nothing is thrown across the C boundary. On a non-zero return,
//     seqref_capi_last_error() gives the message (per thread; it keeps the last failure's message until the next
//     failure on that thread).
//   - order of checks: (a) required pointers non-null, every size >= 1, element counts and byte sizes that fit in
//     63 bits, flags in range and a finite scale, and the seqref shape checks that need no device (seqref::detail::check_*_shapes; SSD: the chunk
//     range and the workspace size, through device::ssd_workspace_bytes) -> 1; then (b) a usable device -> 3;
//     then (c) the device entry point itself, whose remaining checks need the device or live in its launcher
//     (attention: d <= 128; selective scan: the tile, dstate <= 1024, shared memory; SSD: shared memory) -> 1,
//     and its CUDA errors -> 2. So without a device every bad argument of kind (a) is still reported as 1, and a
//     valid call returns 3; no pointer is dereferenced before (c).
//   - seqref_capi_check_device_pointer() asks the runtime whether a pointer is device memory of the current device:
//     callers check their buffers once with it (the entry points do not, to keep per-call host time low).

#include "seqref/core/bf16.hpp"
#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/opt/ssm/ssd.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#define SEQREF_CAPI extern "C" __attribute__((visibility("default")))

// torch.bfloat16 is the upper half of an IEEE float, as seqref::bf16's bits: the same 16-bit pattern in memory.
static_assert(sizeof(seqref::bf16) == 2 && alignof(seqref::bf16) == 2, "seqref::bf16 must be a bare 16-bit pattern");
static_assert(std::is_standard_layout_v<seqref::bf16> && std::is_trivially_copyable_v<seqref::bf16>);
static_assert(sizeof(long long) == sizeof(seqref::Index), "sizes are passed as long long and used as seqref::Index");

namespace {

constexpr int kOk = 0, kInvalid = 1, kFailed = 2, kNoDevice = 3;

thread_local std::string last_error;

void set_error(const char* message) noexcept {
  try {
    last_error = message;
  } catch (...) {  // out of memory for the message itself: keep what was there
  }
}

/// Runs `body` (returns a status code; throws std::invalid_argument for bad arguments) with every exception mapped
/// to its code and its message kept for seqref_capi_last_error().
template <class Body>
int guarded(const char* fn, Body&& body) noexcept {
  try {
    const int rc = body();
    return rc;
  } catch (const std::invalid_argument& e) {
    set_error(e.what());
    return kInvalid;
  } catch (const std::exception& e) {
    set_error(e.what());
    return kFailed;
  } catch (...) {
    set_error((std::string(fn) + ": unknown exception").c_str());
    return kFailed;
  }
}

[[noreturn]] void invalid(const char* fn, const std::string& message) {
  throw std::invalid_argument(std::string(fn) + ": " + message);
}

void need_pointer(const char* fn, const void* p, const char* name) {
  if (p == nullptr) invalid(fn, std::string("argument '") + name + "' is a null pointer");
}

void need_size(const char* fn, long long v, const char* name) {
  if (v < 1) invalid(fn, std::string("argument '") + name + "' must be >= 1; got " + std::to_string(v));
}

/// The product of `factors` (each already >= 1) as an element count whose byte size (times `bytes`) fits in a
/// signed 64-bit integer; std::invalid_argument naming the product otherwise.
long long count_of(const char* fn, std::initializer_list<std::pair<const char*, long long>> factors, long long bytes) {
  long long n = 1;
  std::string what;
  bool overflow = false;
  for (const auto& [name, v] : factors) {
    what += (what.empty() ? "" : " * ") + std::string(name);
    overflow = overflow || __builtin_mul_overflow(n, v, &n);
  }
  long long total = 0;
  overflow = overflow || __builtin_mul_overflow(n, bytes, &total);
  if (overflow) invalid(fn, "sizes overflow: " + what + " * " + std::to_string(bytes) + " bytes exceeds 2^63 - 1");
  return n;
}

/// Empty when a CUDA device can be used; otherwise why not (the runtime's error, with the runtime and driver
/// versions: a driver older than this library's runtime shows as cudaErrorInsufficientDriver).
std::string no_device_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess && count > 0) return {};
  int runtime = 0, driver = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cudaDriverGetVersion(&driver);
  std::string why = err != cudaSuccess ? std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + " (" +
                                             cudaGetErrorString(err) + ")"
                                       : std::string("no CUDA device");
  (void)cudaGetLastError();  // not sticky: do not let a later call report it
  return why + "; runtime " + std::to_string(runtime) + ", driver supports " + std::to_string(driver);
}

/// Status kNoDevice with its message when no device is usable, kOk otherwise.
int device_status(const char* fn) {
  const std::string why = no_device_reason();
  if (why.empty()) return kOk;
  set_error((std::string(fn) + ": no CUDA device available: " + why).c_str());
  return kNoDevice;
}

template <class T>
std::span<T> span_of(T* p, long long n) {
  return p == nullptr ? std::span<T>{} : std::span<T>(p, static_cast<std::size_t>(n));
}

template <class In>
int causal_attention(const char* fn, const In* q, const In* k, const In* v, float* out, long long heads, long long T,
                     long long d, float scale, void* stream) {
  return guarded(fn, [&] {
    need_pointer(fn, q, "q");
    need_pointer(fn, k, "k");
    need_pointer(fn, v, "v");
    need_pointer(fn, out, "out");
    need_size(fn, heads, "heads");
    need_size(fn, T, "T");
    need_size(fn, d, "d");
    count_of(fn, {{"heads", heads}, {"T", T}, {"d", d}}, sizeof(float));
    if (!std::isfinite(scale)) invalid(fn, "argument 'scale' must be finite; got " + std::to_string(scale));
    using Elem = std::conditional_t<std::is_same_v<In, std::uint16_t>, seqref::bf16, float>;
    const auto* qe = reinterpret_cast<const Elem*>(q);
    const auto* ke = reinterpret_cast<const Elem*>(k);
    const auto* ve = reinterpret_cast<const Elem*>(v);
    const seqref::ConstTensorView<Elem> qv{qe, heads, T, d}, kv{ke, heads, T, d}, vv{ve, heads, T, d};
    const seqref::TensorView<float> ov{out, heads, T, d};
    seqref::detail::check_causal_attention_shapes(fn, qv, kv, vv, ov);
    if (const int rc = device_status(fn); rc != kOk) return rc;
    seqref::cuda::device::causal_attention(qv, kv, vv, ov, scale, stream);
    return kOk;
  });
}

}  // namespace

// ---- the library itself ---------------------------------------------------------------------------------------------

/// 1 for this ABI (argument lists below); bumped when any of them changes.
SEQREF_CAPI int seqref_capi_version(void) { return 1; }

/// 1 when a CUDA device can be used through this library's runtime (seqref::cuda::available()), else 0 (and the
/// reason is left in seqref_capi_last_error()).
SEQREF_CAPI int seqref_capi_cuda_available(void) {
  return guarded("seqref_capi_cuda_available", [] {
    if (seqref::cuda::available()) return 1;
    set_error(("seqref_capi_cuda_available: " + no_device_reason()).c_str());
    return 0;
  });
}

/// The message of the last failing call on this thread; "" if none failed.
SEQREF_CAPI const char* seqref_capi_last_error(void) { return last_error.c_str(); }

/// The CUDA runtime version this library was linked with and the version the driver supports (1000·major +
/// 10·minor; 0 where unknown). Returns 0, or 1 for null pointers.
SEQREF_CAPI int seqref_capi_cuda_versions(int* runtime, int* driver) {
  constexpr const char* fn = "seqref_capi_cuda_versions";
  return guarded(fn, [&] {
    need_pointer(fn, runtime, "runtime");
    need_pointer(fn, driver, "driver");
    *runtime = 0;
    *driver = 0;
    if (cudaRuntimeGetVersion(runtime) != cudaSuccess) *runtime = 0;
    if (cudaDriverGetVersion(driver) != cudaSuccess) *driver = 0;
    (void)cudaGetLastError();
    return kOk;
  });
}

/// Writes device 0's name ("NVIDIA H200 (sm_90)", seqref::cuda::device_name()) NUL-terminated into buf[0..len),
/// truncated to fit. 1 for a null buf or len < 1; 3 (and buf = "") when no device is usable.
SEQREF_CAPI int seqref_capi_device_name(char* buf, long long len) {
  constexpr const char* fn = "seqref_capi_device_name";
  return guarded(fn, [&] {
    need_pointer(fn, buf, "buf");
    need_size(fn, len, "len");
    buf[0] = '\0';
    if (const int rc = device_status(fn); rc != kOk) return rc;
    const std::string name = seqref::cuda::device_name();
    const std::size_t n = std::min<std::size_t>(name.size(), static_cast<std::size_t>(len - 1));
    std::memcpy(buf, name.data(), n);
    buf[n] = '\0';
    return kOk;
  });
}

/// 0 when p points to device (or managed) memory of the current device, as this library's runtime sees it; 1 when
/// it certainly does not (registered host memory, memory of another device, a null pointer); 2 when the runtime
/// cannot tell (unregistered memory: pageable host memory, or an allocation the runtime does not track), 3 without
/// a device.
SEQREF_CAPI int seqref_capi_check_device_pointer(const void* p) {
  constexpr const char* fn = "seqref_capi_check_device_pointer";
  return guarded(fn, [&] {
    need_pointer(fn, p, "p");
    if (const int rc = device_status(fn); rc != kOk) return rc;
    cudaPointerAttributes attr{};
    const cudaError_t err = cudaPointerGetAttributes(&attr, p);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      throw std::runtime_error(std::string(fn) + ": cudaPointerGetAttributes failed: " + cudaGetErrorName(err));
    }
    int current = 0;
    if (cudaGetDevice(&current) != cudaSuccess) throw std::runtime_error(std::string(fn) + ": cudaGetDevice failed");
    if (attr.type == cudaMemoryTypeUnregistered)
      throw std::runtime_error(std::string(fn) +
                               ": unregistered memory (pageable host memory, or an allocation this runtime does "
                               "not track): cannot tell");
    if (attr.type == cudaMemoryTypeHost) invalid(fn, "pointer is host memory (cudaMallocHost / registered)");
    if (attr.device != current)
      invalid(fn, "pointer is memory of device " + std::to_string(attr.device) + ", the current device is " +
                      std::to_string(current));
    return kOk;
  });
}

// ---- attention: seqref/opt/attention/causal_attention.hpp, seqref::cuda::device::causal_attention -----------------

/// out[h, i, :] = Σ_{j<=i} exp(scale·q_i·k_j) v_j / Σ_{j<=i} exp(scale·q_i·k_j). q, k, v, out: [heads, T, d]
/// float32 (dv = d), row-major, heads outermost. d <= 128 (checked with the device).
SEQREF_CAPI int seqref_causal_attention_f32(const float* q, const float* k, const float* v, float* out, long long heads,
                                            long long T, long long d, float scale, void* stream) {
  return causal_attention("seqref_causal_attention_f32", q, k, v, out, heads, T, d, scale, stream);
}

/// The same with bfloat16 q, k, v (the bit patterns of torch.bfloat16 / seqref::bf16), fp32 softmax and
/// accumulation, float32 out [heads, T, d].
SEQREF_CAPI int seqref_causal_attention_bf16(const std::uint16_t* q, const std::uint16_t* k, const std::uint16_t* v,
                                             float* out, long long heads, long long T, long long d, float scale,
                                             void* stream) {
  return causal_attention("seqref_causal_attention_bf16", q, k, v, out, heads, T, d, scale, stream);
}

// ---- selective scan: seqref/ref/ssm/selective_scan.hpp (problem, eq. 1-6), seqref::cuda::device::selective_scan --

/// Mamba's selective scan, float32. Layouts (Bt = batch, T = len, Dc = channels, N = dstate):
///   u, delta [Bt, T, Dc]; A [Dc, N]; B, C [Bt, T, N]                                   required
///   D [Dc], z [Bt, T, Dc], delta_bias [Dc], h0 [Bt, Dc, N]                              nullable (absent)
///   y [Bt, T, Dc] (required output), h_last [Bt, Dc, N] (nullable output)
/// delta_softplus: 0/1 (eq. 1); discretization: 0 euler (B̄ = Δ B, Mamba's), 1 zoh (eq. 3); chunk: the tile length,
/// 0 (default 1024) or 256, 512, 1024, 2048 (checked with the device).
SEQREF_CAPI int seqref_selective_scan_f32(const float* u, const float* delta, const float* A, const float* B,
                                          const float* C, const float* D, const float* z, const float* delta_bias,
                                          const float* h0, float* y, float* h_last, long long batch, long long len,
                                          long long channels, long long dstate, int delta_softplus, int discretization,
                                          long long chunk, void* stream) {
  constexpr const char* fn = "seqref_selective_scan_f32";
  return guarded(fn, [&] {
    need_pointer(fn, u, "u");
    need_pointer(fn, delta, "delta");
    need_pointer(fn, A, "A");
    need_pointer(fn, B, "B");
    need_pointer(fn, C, "C");
    need_pointer(fn, y, "y");
    need_size(fn, batch, "batch");
    need_size(fn, len, "len");
    need_size(fn, channels, "channels");
    need_size(fn, dstate, "dstate");
    const long long btd = count_of(fn, {{"batch", batch}, {"len", len}, {"channels", channels}}, sizeof(float));
    const long long btn = count_of(fn, {{"batch", batch}, {"len", len}, {"dstate", dstate}}, sizeof(float));
    const long long dn = count_of(fn, {{"channels", channels}, {"dstate", dstate}}, sizeof(float));
    const long long bdn = count_of(fn, {{"batch", batch}, {"channels", channels}, {"dstate", dstate}}, sizeof(float));
    if (delta_softplus != 0 && delta_softplus != 1)
      invalid(fn, "argument 'delta_softplus' must be 0 or 1; got " + std::to_string(delta_softplus));
    if (discretization != 0 && discretization != 1)
      invalid(fn, "argument 'discretization' must be 0 (euler) or 1 (zoh); got " + std::to_string(discretization));
    if (chunk < 0) invalid(fn, "argument 'chunk' must be >= 0 (0: default); got " + std::to_string(chunk));
    seqref::SelectiveScan<float> p;
    p.batch = batch;
    p.len = len;
    p.channels = channels;
    p.dstate = dstate;
    p.u = span_of(u, btd);
    p.delta = span_of(delta, btd);
    p.A = span_of(A, dn);
    p.B = span_of(B, btn);
    p.C = span_of(C, btn);
    p.D = span_of(D, channels);
    p.z = span_of(z, btd);
    p.delta_bias = span_of(delta_bias, channels);
    p.h0 = span_of(h0, bdn);
    p.delta_softplus = delta_softplus == 1;
    p.discretization = discretization == 1 ? seqref::BDiscretization::zoh : seqref::BDiscretization::euler;
    const std::span<float> ys = span_of(y, btd), hs = span_of(h_last, bdn);
    seqref::detail::check_selective_scan_shapes<float>(fn, p, ys.size(), hs.size(), true, !hs.empty());
    if (const int rc = device_status(fn); rc != kOk) return rc;
    seqref::cuda::device::selective_scan(p, ys, hs, chunk, stream);
    return kOk;
  });
}

// ---- SSD: seqref/ref/ssm/ssd.hpp (problem, eq. 1-4), seqref::cuda::device::ssd_workspace_bytes / device::ssd -------

/// *bytes = the device workspace seqref_ssd_f32 needs for this shape at chunk length `chunk` (1..64). Needs no
/// device. 1 for bad sizes, a chunk outside 1..64, groups not dividing heads, sizes past the kernels' int range.
SEQREF_CAPI int seqref_ssd_workspace_bytes(long long batch, long long len, long long heads, long long headdim,
                                           long long groups, long long dstate, long long chunk, long long* bytes) {
  constexpr const char* fn = "seqref_ssd_workspace_bytes";
  return guarded(fn, [&] {
    need_pointer(fn, bytes, "bytes");
    *bytes = 0;
    for (const auto& [name, v] : {std::pair<const char*, long long>{"batch", batch},
                                  {"len", len},
                                  {"heads", heads},
                                  {"headdim", headdim},
                                  {"groups", groups},
                                  {"dstate", dstate},
                                  {"chunk", chunk}})
      need_size(fn, v, name);
    count_of(fn, {{"batch", batch}, {"len", len}, {"heads", heads}, {"headdim", headdim}}, sizeof(float));
    count_of(fn, {{"batch", batch}, {"heads", heads}, {"headdim", headdim}, {"dstate", dstate}}, sizeof(float));
    count_of(fn, {{"batch", batch}, {"len", len}, {"groups", groups}, {"dstate", dstate}}, sizeof(float));
    const seqref::SsdShape shape{batch, len, heads, headdim, groups, dstate};
    *bytes = static_cast<long long>(seqref::cuda::device::ssd_workspace_bytes(shape, chunk));
    return kOk;
  });
}

/// Mamba-2's SSD, chunked (chunk length `chunk`, 1..64), float32. Layouts:
///   X [batch, T, heads, P]; A [batch, T, heads] (log decays a_t); B, C [batch, T, groups, N]      required
///   h0 [batch, heads, P, N]                                                                   nullable (zero)
///   Y [batch, T, heads, P] (required output); h_final [batch, heads, P, N] (nullable output)
///   workspace: workspace_bytes bytes of device memory, exactly seqref_ssd_workspace_bytes(...) for this shape.
SEQREF_CAPI int seqref_ssd_f32(const float* X, const float* A, const float* B, const float* C, const float* h0,
                               float* Y, float* h_final, long long batch, long long len, long long heads,
                               long long headdim, long long groups, long long dstate, long long chunk, void* workspace,
                               long long workspace_bytes, void* stream) {
  constexpr const char* fn = "seqref_ssd_f32";
  return guarded(fn, [&] {
    need_pointer(fn, X, "X");
    need_pointer(fn, A, "A");
    need_pointer(fn, B, "B");
    need_pointer(fn, C, "C");
    need_pointer(fn, Y, "Y");
    need_pointer(fn, workspace, "workspace");
    for (const auto& [name, v] : {std::pair<const char*, long long>{"batch", batch},
                                  {"len", len},
                                  {"heads", heads},
                                  {"headdim", headdim},
                                  {"groups", groups},
                                  {"dstate", dstate},
                                  {"chunk", chunk},
                                  {"workspace_bytes", workspace_bytes}})
      need_size(fn, v, name);
    const long long nx =
        count_of(fn, {{"batch", batch}, {"len", len}, {"heads", heads}, {"headdim", headdim}}, sizeof(float));
    const long long na = count_of(fn, {{"batch", batch}, {"len", len}, {"heads", heads}}, sizeof(float));
    const long long nbc =
        count_of(fn, {{"batch", batch}, {"len", len}, {"groups", groups}, {"dstate", dstate}}, sizeof(float));
    const long long ns =
        count_of(fn, {{"batch", batch}, {"heads", heads}, {"headdim", headdim}, {"dstate", dstate}}, sizeof(float));
    const seqref::SsdShape shape{batch, len, heads, headdim, groups, dstate};
    const seqref::SsdProblem<float> p{shape,           span_of(X, nx),  span_of(A, na),
                                      span_of(B, nbc), span_of(C, nbc), span_of(h0, ns)};
    const std::span<float> Ys = span_of(Y, nx), hs = span_of(h_final, ns);
    seqref::detail::check_ssd_shapes<float>(fn, p, Ys, hs);
    // the chunk range and the kernels' int limits, without a device
    const std::size_t need = seqref::cuda::device::ssd_workspace_bytes(shape, chunk);
    if (static_cast<unsigned long long>(workspace_bytes) != need)
      invalid(fn, "argument 'workspace_bytes' must be seqref_ssd_workspace_bytes(...) = " + std::to_string(need) +
                      " for " + shape.to_string() + ", chunk " + std::to_string(chunk) + "; got " +
                      std::to_string(workspace_bytes));
    if (const int rc = device_status(fn); rc != kOk) return rc;
    seqref::cuda::device::ssd(p, Ys, hs, chunk, std::span<std::byte>(static_cast<std::byte*>(workspace), need), stream);
    return kOk;
  });
}
