#pragma once
/// \file
/// How a method adds its Python bindings without editing the module's main file: a python/bind_<family>_<method>.cpp
/// defines a function taking the seqref.ref, seqref.cpu and seqref.cuda submodules and registers it with
///
///   static seqref::python::RegisterBinder registered(&bind_hippo);
///
/// The module's init calls every registered binder once (python/CMakeLists.txt compiles every bind_*.cpp into the
/// module itself, so no registration is dropped by the linker). Convention as for attention: NumPy in, NumPy out,
/// ValueError for bad input (std::invalid_argument is translated), the GIL released around C++ compute calls.

#include <pybind11/pybind11.h>

#include <vector>

namespace seqref::python {

using Binder = void (*)(pybind11::module_& ref, pybind11::module_& cpu, pybind11::module_& cuda);

std::vector<Binder>& binders();

struct RegisterBinder {
  explicit RegisterBinder(Binder b) { binders().push_back(b); }
};

}  // namespace seqref::python
