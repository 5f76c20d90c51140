#pragma once
/// \file
/// Host-side helpers shared by every CUDA entry point (one copy; each .cu used to carry its own):
/// error checking that names the public function, a "no device" check, and RAII for device 0, a stream and device
/// buffers, so every allocation is freed and the caller's current device restored on every path, exceptions
/// included. Kernels themselves live in each method's .cu / _kernel.cuh.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seqref::cuda::host {

/// Throws std::runtime_error("<fn>: <what> failed: <name> (<description>)") unless err == cudaSuccess.
inline void check_cuda(cudaError_t err, std::string_view fn, const char* what) {
  if (err == cudaSuccess) return;
  throw std::runtime_error(std::string(fn) + ": " + what + " failed: " + cudaGetErrorName(err) + " (" +
                           cudaGetErrorString(err) + ")");
}

/// Throws std::runtime_error("<fn>: no CUDA device available") unless seqref::cuda::available().
inline void require_device(std::string_view fn) {
  if (!available()) throw std::runtime_error(std::string(fn) + ": no CUDA device available");
}

/// Grid size for a grid-stride loop over `count` elements with 256-thread blocks (at least 1, at most 65535).
inline unsigned grid_for(long long count) {
  const long long blocks = (count + 255) / 256;
  return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

/// The current device's opt-in maximum of dynamic shared memory per block, in bytes (sm_90: 227 KiB).
inline std::size_t max_dynamic_shared_memory(std::string_view fn) {
  int device = 0, bytes = 0;
  check_cuda(cudaGetDevice(&device), fn, "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), fn,
             "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  return static_cast<std::size_t>(bytes);
}

/// Refuses, with std::invalid_argument naming `what`, `bytes` of dynamic shared memory per block that the current
/// device cannot give (a problem size the kernel cannot run, checked before anything is launched).
inline void require_dynamic_shared_memory(std::size_t bytes, std::string_view fn, const std::string& what) {
  const std::size_t max = max_dynamic_shared_memory(fn);
  if (bytes > max)
    throw std::invalid_argument(std::string(fn) + ": " + what + " needs " + std::to_string(bytes) +
                                " bytes of shared memory per block; this device allows " + std::to_string(max));
}

/// Lets `kernel` launch with `bytes` of dynamic shared memory (refused as above when the device cannot give it) by
/// raising the kernel's limit to the device's maximum. Every call sets that same value, so host threads launching
/// the kernel at once cannot undo each other: setting each call's own `bytes` raced (a smaller value set by one
/// thread between another's set and launch made that launch fail).
template <class Kernel>
void allow_dynamic_shared_memory(Kernel kernel, std::size_t bytes, std::string_view fn, const std::string& what) {
  require_dynamic_shared_memory(bytes, fn, what);
  check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(max_dynamic_shared_memory(fn))),
             fn, "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
}

/// Makes device 0 current for its lifetime and restores the caller's device afterwards.
class DeviceZero {
 public:
  explicit DeviceZero(std::string_view fn) {
    check_cuda(cudaGetDevice(&previous_), fn, "cudaGetDevice");
    check_cuda(cudaSetDevice(0), fn, "cudaSetDevice(0)");
  }
  ~DeviceZero() { (void)cudaSetDevice(previous_); }
  DeviceZero(const DeviceZero&) = delete;
  DeviceZero& operator=(const DeviceZero&) = delete;

 private:
  int previous_ = 0;
};

/// A non-blocking stream, destroyed on scope exit.
class Stream {
 public:
  explicit Stream(std::string_view fn) {
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), fn, "cudaStreamCreate");
  }
  ~Stream() { (void)cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

/// `count` elements of T in device memory, freed on scope exit (cudaFree waits for work still using it).
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer(Index count, std::string_view fn) : bytes_(static_cast<std::size_t>(count) * sizeof(T)), fn_(fn) {
    check_cuda(cudaMalloc(reinterpret_cast<void**>(&data_), bytes_), fn_, "cudaMalloc");
  }
  ~DeviceBuffer() { (void)cudaFree(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  /// Copies the whole buffer from host memory, ordered on `stream` (nullptr: the legacy default stream), so a
  /// kernel launched afterwards on that stream sees the data. A plain cudaMemcpy is not enough: it runs on the legacy
  /// stream, which a cudaStreamNonBlocking stream does not wait for, and from pageable memory it may return before
  /// the DMA lands. There is no overload without a stream, so every call site says which one.
  void upload(const void* host, cudaStream_t stream) {
    check_cuda(cudaMemcpyAsync(data_, host, bytes_, cudaMemcpyHostToDevice, stream), fn_, "cudaMemcpyAsync H2D");
  }
  /// Copies the whole buffer to host memory after the work queued on `stream`, and waits for the copy.
  void download(void* host, cudaStream_t stream) const {
    check_cuda(cudaMemcpyAsync(host, data_, bytes_, cudaMemcpyDeviceToHost, stream), fn_, "cudaMemcpyAsync D2H");
    check_cuda(cudaStreamSynchronize(stream), fn_, "cudaStreamSynchronize after D2H");
  }

 private:
  T* data_ = nullptr;
  std::size_t bytes_;
  std::string_view fn_;
};

}  // namespace seqref::cuda::host
