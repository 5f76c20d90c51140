// The `seqref` Python module's set-up: the module and its submodules seqref.ref / seqref.cpu / seqref.cuda, the
// exception translation (std::invalid_argument -> ValueError), backend status functions, and the call to every
// registered binder (python/bind_<family>_<method>.cpp, see binders.hpp), which add the methods themselves.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"

#include "binders.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SEQREF_VERSION
#define SEQREF_VERSION "0.0.0"
#endif

namespace py = pybind11;

using seqref::Index;

namespace seqref::python {
void bind_testing_module(py::module_& m);  // python/testing_module.cpp: seqref.testing (the judge)

std::vector<Binder>& binders() {
  static std::vector<Binder> registered;  // function-local: safe against static initialization order
  return registered;
}
}  // namespace seqref::python

PYBIND11_MODULE(seqref, m) {
  m.doc() = R"doc(seqref: reference, optimized and verified implementations of sequence-model math.

Arrays are NumPy float32 or float64 of shape (heads, T, dim), row-major; non-contiguous input is copied.
Bad input raises ValueError naming the function, the argument and the shapes; a backend that cannot run
(CUDA not built, no device) raises RuntimeError.

Submodules:
  seqref.ref   plain reference (eq. 1 materialized, eq. 2 RNN / online softmax, KV-cached decode, TinyDecoder)
  seqref.cpu   optimized CPU kernel (flash-style tiles, OpenMP)
  seqref.cuda  CUDA kernel (float32 or bf16 inputs)
  seqref.testing  check your own kernel: seqref.testing.check(method, candidate, **inputs) -> Verdict
)doc";
  m.attr("__version__") = SEQREF_VERSION;

  // std::invalid_argument (every validation failure in seqref) -> ValueError. Anything else falls through to
  // pybind11's own translators: std::runtime_error (e.g. "built without CUDA") -> RuntimeError, and the
  // py::value_error raised by the argument checks in this file stays ValueError (it derives from
  // std::runtime_error, so it must not be caught here).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def(
      "default_scale",
      [](Index d) {
        if (d < 1) throw py::value_error("seqref.default_scale: d must be >= 1; got " + std::to_string(d));
        return 1.0 / std::sqrt(static_cast<double>(d));
      },
      py::arg("d"),
      R"doc(default_scale(d) -> float

The usual softmax temperature 1/sqrt(d) for head dimension d (what scale=None means everywhere).
Raises ValueError if d < 1.)doc");

  // Make `import seqref.ref` / `from seqref.cpu import ...` work for the submodules of this single extension.
  py::object sys_modules = py::module_::import("sys").attr("modules");

  // ---- seqref.ref ----
  py::module_ ref = m.def_submodule("ref", R"doc(Reference implementations (plain loops; the judge of the others).

Causal attention after kexue.fm/archives/10017 "Attention as an O(n^2) RNN":
  (1)  o_i = sum_{j<=i} exp(s q_i.k_j) v_j / sum_{j<=i} exp(s q_i.k_j)
  (2)  (y_i, z_i) <- (y_i, z_i) + exp(s q_i.k_j) (v_j, 1) over j, o_i = y_i / z_i  (an RNN over the keys)
)doc");
  sys_modules["seqref.ref"] = ref;

  // ---- seqref.cpu ----
  py::module_ cpu = m.def_submodule("cpu", "Optimized CPU backend (flash-style tiled online softmax, OpenMP).");
  sys_modules["seqref.cpu"] = cpu;
  cpu.def(
      "max_threads", [] { return seqref::cpu::max_threads(); },
      R"doc(max_threads() -> int

Threads the CPU backend uses (OpenMP; set OMP_NUM_THREADS before importing).)doc");

  // ---- seqref.cuda ----
  py::module_ cuda = m.def_submodule("cuda", "CUDA backend (host-memory entry points; fp32 softmax and accumulation).");
  sys_modules["seqref.cuda"] = cuda;
  cuda.def(
      "built", [] { return seqref::cuda::built(); },
      "built() -> bool\n\nTrue when seqref was compiled with its CUDA backend (SEQREF_CUDA=ON).");
  cuda.def(
      "available", [] { return seqref::cuda::available(); },
      "available() -> bool\n\nTrue when built() and a CUDA device can be used right now.");
  cuda.def(
      "device_name", [] { return seqref::cuda::device_name(); },
      "device_name() -> str\n\nName and compute capability of device 0, e.g. \"NVIDIA H100 80GB HBM3 (sm_90)\"; \"\" "
      "when not available().");

  // Every method's bindings (python/bind_<family>_<method>.cpp).
  for (auto bind : seqref::python::binders()) bind(ref, cpu, cuda);

  // ---- seqref.testing: the judge of the user's own kernels ----
  seqref::python::bind_testing_module(m);
}
