// seqref.testing: seqref as the judge of the user's own kernels (seqref::judge, judge/include/seqref/judge/judge.hpp).
// Candidates and inputs may be NumPy arrays (float16/32/64), PyTorch tensors (float16/32/64 and bfloat16; CPU
// tensors are read in place through .numpy() or, for bfloat16, a 16-bit integer view of the same storage; CUDA
// tensors are moved to the host, with a note in the verdict), Python numbers and strings. Names follow
// numpy.testing / torch.testing: check(...) returns a Verdict, assert_verified(...) raises AssertionError.

#include "seqref/core/limits.hpp"
#include "seqref/judge/judge.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;
namespace judge = seqref::judge;

namespace seqref::python {

namespace {

bool is_torch_tensor(const py::handle& obj) {
  const py::handle type = py::type::handle_of(obj);
  const std::string module = py::str(type.attr("__module__")).cast<std::string>();
  return module.rfind("torch", 0) == 0 && py::hasattr(obj, "detach") && py::hasattr(obj, "dtype");
}

template <class T>
void widen_into(const py::array& a, std::vector<double>& out) {
  const auto c = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  const T* p = c.data();
  out.resize(static_cast<std::size_t>(c.size()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
}

std::vector<judge::Index> shape_of(const py::array& a) {
  std::vector<judge::Index> s;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s.push_back(static_cast<judge::Index>(a.shape(i)));
  return s;
}

/// A NumPy array of float16/32/64 (or a bfloat16 bit pattern, `bf16_bits`) as a judge::Array.
judge::Array array_from_numpy(const py::array& a, const std::string& what, bool bf16_bits) {
  judge::Array out;
  out.shape = shape_of(a);
  // The widened copy (8 bytes per element) and the judge's truth (16) must fit the budget before anything is copied:
  // a broadcast view of 10^12 elements is refused here, not materialized.
  seqref::require_memory("seqref.testing", 24.0 * static_cast<double>(a.size()), what);
  const py::dtype dt = a.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (bf16_bits) {
    const auto c = py::array_t<std::uint16_t, py::array::c_style | py::array::forcecast>::ensure(a);
    out.values.resize(static_cast<std::size_t>(c.size()));
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const std::uint32_t bits = static_cast<std::uint32_t>(c.data()[i]) << 16;
      float f;
      std::memcpy(&f, &bits, sizeof f);
      out.values[i] = static_cast<double>(f);
    }
    out.dtype = judge::DType::bf16;
  } else if (kind == 'f' && size == 8) {
    widen_into<double>(a, out.values);
    out.dtype = judge::DType::f64;
  } else if (kind == 'f' && size == 4) {
    widen_into<float>(a, out.values);
    out.dtype = judge::DType::f32;
  } else if (kind == 'f' && size == 2) {
    // NumPy's float16: widen through its own conversion (astype float32 is exact).
    widen_into<float>(a.attr("astype")("float32").cast<py::array>(), out.values);
    out.dtype = judge::DType::f16;
  } else {
    throw py::value_error("seqref.testing: " + what + " has dtype " + py::str(py::object(dt)).cast<std::string>() +
                          ", which is not supported; use float64, float32, float16 or bfloat16 (torch)");
  }
  return out;
}

/// Any array-like (NumPy array, list, torch tensor) as a judge::Array; `notes` collects what was done to it.
judge::Array to_array(const py::handle& obj, const std::string& what, std::vector<std::string>& notes) {
  if (is_torch_tensor(obj)) {
    py::object t = obj.attr("detach")();
    const std::string device = py::str(t.attr("device")).cast<std::string>();
    if (device != "cpu") {
      t = t.attr("cpu")();
      notes.push_back(what + " copied from " + device + " to the host (the judge runs on the CPU)");
    }
    const std::string dtype = py::str(t.attr("dtype")).cast<std::string>();
    if (dtype == "torch.bfloat16") {
      py::object torch = py::module_::import("torch");
      py::array bits = t.attr("contiguous")().attr("view")(torch.attr("int16")).attr("numpy")();
      return array_from_numpy(bits, what, true);
    }
    if (dtype != "torch.float64" && dtype != "torch.float32" && dtype != "torch.float16")
      throw py::value_error("seqref.testing: " + what + " is a tensor of " + dtype +
                            ", which is not supported; use float64, float32, float16 or bfloat16");
    return array_from_numpy(t.attr("numpy")().cast<py::array>(), what, false);
  }
  py::array a = py::module_::import("numpy").attr("asarray")(obj);
  if (a.dtype().kind() == 'O' || a.dtype().kind() == 'U' || a.dtype().kind() == 'S')
    throw py::value_error("seqref.testing: " + what + " is not a numeric array (dtype " +
                          py::str(a.dtype()).cast<std::string>() + ")");
  if (a.dtype().kind() != 'f') {
    if (what == "candidate" || (a.dtype().kind() != 'i' && a.dtype().kind() != 'u' && a.dtype().kind() != 'b'))
      throw py::value_error(
          "seqref.testing: " + what + " has dtype " + py::str(a.dtype()).cast<std::string>() +
          ", which is not supported; use float64, float32, float16 or bfloat16 (torch)" +
          (a.dtype().kind() == 'c' ? "; pass complex values as real pairs (torch.view_as_real)" : ""));
    a = a.attr("astype")("float64").cast<py::array>();  // ints and bools as inputs: exact in float64
  }
  return array_from_numpy(a, what, false);
}

struct Reserved {
  std::optional<double> K;
  std::optional<judge::DType> candidate_dtype;
  py::object progress = py::none();
  unsigned threads = 0;
  double yardstick_work = 2.0e8;
};

/// A reserved keyword's number: a Python or NumPy real number, else ValueError naming it.
double reserved_number(const std::string& name, const py::handle& v) {
  const bool real =
      py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v) ||
      (py::isinstance(v, py::module_::import("numpy").attr("generic")) &&
       std::string("fiub").find(py::cast<py::array>(py::module_::import("numpy").attr("asarray")(v)).dtype().kind()) !=
           std::string::npos);
  if (!real || py::isinstance<py::bool_>(v))
    throw py::value_error("seqref.testing: " + name + " must be a number; got " +
                          py::str(py::type::handle_of(v)).cast<std::string>());
  return v.cast<double>();
}

judge::Inputs to_inputs(const py::kwargs& kw, Reserved& r, std::vector<std::string>& notes) {
  judge::Inputs in;
  for (const auto& [k, v] : kw) {
    const std::string name = py::str(k).cast<std::string>();
    if (name == "K") {
      if (!v.is_none()) r.K = reserved_number(name, v);
    } else if (name == "candidate_dtype") {
      if (!v.is_none()) {
        if (!py::isinstance<py::str>(v))
          throw py::value_error("seqref.testing: candidate_dtype must be a string such as 'bfloat16'; got " +
                                py::str(py::type::handle_of(v)).cast<std::string>());
        r.candidate_dtype = judge::parse_dtype(v.cast<std::string>());
      }
    } else if (name == "progress") {
      if (!v.is_none() && !py::isinstance<py::bool_>(v))
        throw py::value_error("seqref.testing: progress must be None, True or False");
      r.progress = py::reinterpret_borrow<py::object>(v);
    } else if (name == "threads") {
      const double t = v.is_none() ? 0.0 : reserved_number(name, v);
      if (!(t >= 0 && t <= 256) || t != std::floor(t))
        throw py::value_error("seqref.testing: threads must be an integer in [0, 256]; got " + std::to_string(t));
      r.threads = static_cast<unsigned>(t);
    } else if (name == "yardstick_work") {
      if (!v.is_none()) r.yardstick_work = reserved_number(name, v);
      if (!(r.yardstick_work > 0) || !std::isfinite(r.yardstick_work))
        throw py::value_error("seqref.testing: yardstick_work must be finite and > 0");
    } else if (v.is_none()) {
      continue;  // an optional argument left out
    } else if (py::isinstance<py::bool_>(v)) {
      in.numbers[name] = v.cast<bool>() ? 1.0 : 0.0;
    } else if (py::isinstance<py::str>(v)) {
      in.strings[name] = v.cast<std::string>();
    } else if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v) ||
               py::isinstance(v, py::module_::import("numpy").attr("generic"))) {
      const char kind = py::isinstance(v, py::module_::import("numpy").attr("generic"))
                            ? py::cast<py::array>(py::module_::import("numpy").attr("asarray")(v)).dtype().kind()
                            : 'f';
      if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
        throw py::value_error("seqref.testing: argument '" + name + "' must be a real number; got " +
                              py::str(py::type::handle_of(v)).cast<std::string>());
      in.numbers[name] = v.cast<double>();
    } else {
      in.arrays[name] = to_array(v, name, notes);
    }
  }
  return in;
}

/// A tqdm-style bar on stderr: "seqref.check attention/causal_attention  [#########-----------]  45%  truth  1.2 s".
judge::Progress progress_bar(const std::string& method, bool on) {
  if (!on) return {};
  const auto start = std::chrono::steady_clock::now();
  return [method, start](std::string_view stage, double f) {
    const int width = 24, filled = static_cast<int>(std::lround(std::clamp(f, 0.0, 1.0) * width));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\rseqref.check %s  [%s%s] %3d%%  %-9.*s %6.1f s%s", method.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '-').c_str(), static_cast<int>(f * 100 + 0.5),
                 static_cast<int>(stage.size()), stage.data(), s, f >= 1.0 ? "\n" : "");
    std::fflush(stderr);
  };
}

bool progress_wanted(const py::object& p) {
  if (!p.is_none()) return p.cast<bool>();
  // Default: on when stderr is a terminal (both Python's and the C library's, which the bar writes to).
  const py::object err = py::module_::import("sys").attr("stderr");
  bool tty = false;
  try {
    tty = !err.is_none() && err.attr("isatty")().cast<bool>();
  } catch (const py::error_already_set&) {
    tty = false;
  }
  return tty && ::isatty(2);
}

judge::Verdict run_check(const std::string& method, const py::object& candidate, const py::kwargs& kw) {
  std::vector<std::string> notes;
  Reserved r;
  const judge::Inputs in = to_inputs(kw, r, notes);
  judge::Array cand = to_array(candidate, "candidate", notes);
  if (r.candidate_dtype && *r.candidate_dtype != cand.dtype) {
    // Values stored wider than they are (bfloat16 numbers in a float32 array): every one must be exact in the
    // declared dtype, or the declaration is wrong.
    for (std::size_t i = 0; i < cand.values.size(); ++i) {
      const double x = cand.values[i];
      if (std::isfinite(x) && judge::round_to(*r.candidate_dtype, x) != x)
        throw py::value_error("seqref.testing: candidate_dtype=" + std::string(judge::name(*r.candidate_dtype)) +
                              ", but candidate value " + std::to_string(i) + " (" + std::to_string(x) + ") is not a " +
                              std::string(judge::name(*r.candidate_dtype)) + " number");
    }
    notes.push_back("candidate stored as " + std::string(judge::name(cand.dtype)) + ", judged as " +
                    std::string(judge::name(*r.candidate_dtype)) + " (candidate_dtype)");
    cand.dtype = *r.candidate_dtype;
  }
  judge::Options o;
  o.K = r.K;
  o.threads = r.threads;
  o.yardstick_work = r.yardstick_work;
  o.progress = progress_bar(method, progress_wanted(r.progress));
  judge::Verdict v;
  {
    py::gil_scoped_release release;
    v = judge::check(method, in, cand, o);
  }
  v.notes = std::move(notes);
  return v;
}

/// The two positional arguments of check/assert_verified: (method: str, candidate).
std::pair<std::string, py::object> positional(const py::args& args, const char* fn) {
  if (args.size() != 2 || !py::isinstance<py::str>(args[0]))
    throw py::value_error(std::string("seqref.testing.") + fn +
                          "(method, candidate, /, **inputs): give the method's name (a str) and the candidate "
                          "positionally, the inputs by name; got " +
                          std::to_string(args.size()) + " positional arguments");
  return {args[0].cast<std::string>(), py::reinterpret_borrow<py::object>(args[1])};
}

py::tuple as_tuple(const std::vector<judge::Index>& v) {
  py::tuple t(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) t[i] = v[i];
  return t;
}

void bind_testing(py::module_& m) {
  py::module_ t = m.def_submodule("testing", R"doc(seqref as the judge of your own kernels.

    v = seqref.testing.check("attention/causal_attention", out, q=q, k=k, v=v)
    seqref.testing.assert_verified("ssm/selective_scan", y, u=u, delta=delta, A=A, B=B, C=C)

The candidate's error is max|x - x*| / (u max|x*|) in units u of its own dtype; the yardstick is the same metric
for seqref's reference run in that dtype (Eigen::half / Eigen::bfloat16 for 16-bit candidates); the candidate passes
when error <= K * max(yardstick, 1). The truth is computed at higher precision by an implementation verified against
the 50-digit Oracle (the Verdict says which). Inputs and candidate: NumPy arrays or torch tensors (float64,
float32, float16, bfloat16), numbers, strings; reserved keywords: K, progress (None: a bar when stderr is a
terminal), threads, yardstick_work, candidate_dtype (the candidate's precision when its storage is wider, e.g.
bfloat16 numbers in a float32 array).)doc");
  py::module_::import("sys").attr("modules")["seqref.testing"] = t;

  py::class_<judge::Verdict>(t, "Verdict", "The outcome of seqref.testing.check (truthy when passed).")
      .def_readonly("method", &judge::Verdict::method)
      .def_property_readonly("dtype", [](const judge::Verdict& v) { return std::string(judge::name(v.dtype)); })
      .def_property_readonly("shape", [](const judge::Verdict& v) { return as_tuple(v.shape); })
      .def_readonly("passed", &judge::Verdict::passed)
      .def_readonly("error_u", &judge::Verdict::error_u, "candidate vs truth, in u of its dtype")
      .def_readonly("reference_error_u", &judge::Verdict::reference_error_u,
                    "the same-precision reference vs truth (the yardstick)")
      .def_readonly("K", &judge::Verdict::K)
      .def_readonly("bound_u", &judge::Verdict::bound_u, "K * max(reference_error_u, 1)")
      .def_readonly("u", &judge::Verdict::u)
      .def_property_readonly("worst_index",
                             [](const judge::Verdict& v) -> py::object {
                               if (v.worst.flat < 0) return py::none();
                               return as_tuple(v.worst.index);
                             })
      .def_property_readonly("worst_candidate", [](const judge::Verdict& v) { return v.worst.candidate; })
      .def_property_readonly("worst_truth", [](const judge::Verdict& v) { return v.worst.truth; })
      .def_readonly("nonfinite", &judge::Verdict::nonfinite, "how many candidate values are NaN or inf")
      .def_property_readonly("first_nonfinite_index",
                             [](const judge::Verdict& v) -> py::object {
                               if (v.first_nonfinite.flat < 0) return py::none();
                               return as_tuple(v.first_nonfinite.index);
                             })
      .def_readonly("metric", &judge::Verdict::metric)
      .def_readonly("truth", &judge::Verdict::truth, "which implementation computed the truth")
      .def_readonly("yardstick", &judge::Verdict::yardstick, "which reference ran in the candidate's dtype")
      .def_readonly("K_reason", &judge::Verdict::K_reason)
      .def_readonly("notes", &judge::Verdict::notes)
      .def_readonly("seconds", &judge::Verdict::seconds)
      .def("summary", &judge::Verdict::summary, "One line: PASS/FAIL, error, bound, worst element when failing.")
      .def("report", &judge::Verdict::report, "Several lines: summary, worst element, truth, yardstick, metric, K.")
      .def("json", &judge::Verdict::json)
      .def("to_dict", [](const judge::Verdict& v) { return py::module_::import("json").attr("loads")(v.json()); })
      .def("__bool__", [](const judge::Verdict& v) { return v.passed; })
      .def("__str__", &judge::Verdict::summary)
      .def("__repr__", [](const judge::Verdict& v) { return "<seqref.testing.Verdict " + v.summary() + ">"; });

  // check(method, candidate, /, **inputs): taken as *args so that an input named "method" (seqref.ref.deer's)
  // or "candidate" is an input, not a clash with these two.
  t.def(
      "check",
      [](const py::args& args, const py::kwargs& kw) {
        const auto [method, candidate] = positional(args, "check");
        return run_check(method, candidate, kw);
      },
      R"doc(check(method, candidate, /, **inputs) -> Verdict

Judges `candidate` as the output of `method` ("family/method" or the method's name) on `inputs`, given by the
names of the method's seqref.ref function (arguments(method) lists them). A NaN or inf in the candidate is a
failure reported with its first index. Raises ValueError for an unknown method or argument, shapes that disagree,
an unsupported dtype or values the method refuses.)doc");
  t.def(
      "assert_verified",
      [](const py::args& args, const py::kwargs& kw) {
        const auto [method, candidate] = positional(args, "assert_verified");
        py::kwargs rest;
        std::string msg;
        for (const auto& [k, v] : kw) {
          if (py::str(k).cast<std::string>() == "msg") {
            if (!v.is_none()) msg = py::str(v).cast<std::string>() + "\n";
          } else {
            rest[k] = v;
          }
        }
        judge::Verdict v = run_check(method, candidate, rest);
        if (!v.passed) {
          PyErr_SetString(PyExc_AssertionError, (msg + v.report()).c_str());
          throw py::error_already_set();
        }
        return v;
      },
      R"doc(assert_verified(method, candidate, /, *, msg=None, **inputs) -> Verdict

check(...), raising AssertionError with the verdict's report (summary, worst element with both values, truth,
yardstick, K) when it fails; returns the Verdict when it passes. Works under pytest, unittest or plain asserts.)doc");
  t.def("methods", &judge::methods, "methods() -> list[str]\n\nThe methods seqref can judge.");
  t.def(
      "arguments",
      [](const std::string& method) {
        const judge::Arguments a = judge::arguments(method);
        py::dict d;
        d["arrays"] = a.arrays;
        d["numbers"] = a.numbers;
        d["strings"] = a.strings;
        return d;
      },
      py::arg("method"), "arguments(method) -> dict\n\nThe names of a method's array, number and string arguments.");
  t.def("signature", &judge::signature, py::arg("method"),
        "signature(method) -> str\n\nThe inputs and output of a method's check.");
}

}  // namespace

void bind_testing_module(py::module_& m) { bind_testing(m); }

}  // namespace seqref::python
