// Python bindings for attention/causal_attention (kexue.fm/archives/10017): seqref.ref.causal_attention /
// causal_attention_rnn / decode / TinyDecoder, seqref.cpu.causal_attention, seqref.cuda.causal_attention.
// Arrays are [heads, T, dim], float32 or float64 (the dtype chooses the precision); anything else is rejected with
// ValueError naming the argument. The GIL is released around every C++ compute call.

#include "binders.hpp"

#include "seqref/core/attention_args.hpp"
#include "seqref/core/bf16.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/ref/attention/causal_attention.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

using Index = seqref::Index;

// ---- argument conversion (python/numpy_convert.hpp) --------------------------------------------------------------

using seqref::python::dtype_of;
using seqref::python::shape_of;

[[noreturn]] void value_error(const std::string& message) { throw py::value_error(message); }

// An int-like Python object (int, numpy integer; anything with __index__ except bool) as a C++ integer.
long long as_integer(const py::handle& item, const char* fn, const char* name) {
  if (PyBool_Check(item.ptr()) || !PyIndex_Check(item.ptr()))
    value_error(std::string(fn) + ": " + name + " entries must be ints; got " + py::repr(item).cast<std::string>());
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  long long value = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow != 0)
    value_error(std::string(fn) + ": " + name + " entry " + py::repr(item).cast<std::string>() + " is out of range");
  return value;
}

enum class Dtype { f32, f64 };

// np.asarray(obj) (lists are accepted; no dtype conversion: the dtype chooses the precision), then the checks every
// attention entry point shares: a numeric dtype, float32 or float64, ndim == 3.
py::array as_tensor_array(const py::handle& obj, const char* fn, const char* name) {
  py::array a = seqref::python::as_array(obj, fn, name);
  if (!a.dtype().is(py::dtype::of<float>()) && !a.dtype().is(py::dtype::of<double>()))
    value_error(std::string(fn) + ": " + name + " must be float32 or float64; got dtype " + dtype_of(a) + ", shape " +
                shape_of(a));
  if (a.ndim() != 3)
    value_error(std::string(fn) + ": " + name + " must have 3 dimensions (heads, T, dim); got ndim " +
                std::to_string(a.ndim()) + ", shape " + shape_of(a));
  return a;
}

struct QKV {
  py::array q, k, v;
  Dtype dtype;
  const char* fn;  // the Python-visible name, for messages
};

QKV as_qkv(const py::object& q, const py::object& k, const py::object& v, const char* fn) {
  QKV r{as_tensor_array(q, fn, "q"), as_tensor_array(k, fn, "k"), as_tensor_array(v, fn, "v"), Dtype::f64, fn};
  if (!r.k.dtype().is(r.q.dtype()) || !r.v.dtype().is(r.q.dtype()))
    value_error(std::string(fn) + ": q, k, v must share one dtype; got q " + dtype_of(r.q) + " " + shape_of(r.q) +
                ", k " + dtype_of(r.k) + " " + shape_of(r.k) + ", v " + dtype_of(r.v) + " " + shape_of(r.v));
  r.dtype = r.q.dtype().is(py::dtype::of<float>()) ? Dtype::f32 : Dtype::f64;
  return r;
}

template <class S>
seqref::ConstTensorView<S> view_of(const seqref::python::CArray<S>& a) {
  return {a.data(), static_cast<Index>(a.shape(0)), static_cast<Index>(a.shape(1)), static_cast<Index>(a.shape(2))};
}

// An output [heads, T, dim] of validated extents (budgeted; see numpy_convert.hpp).
template <class S>
py::array_t<S> new_tensor(const char* fn, Index heads, Index len, Index dim) {
  return seqref::python::new_array<S>(fn, "the output", {{"heads", heads}, {"T", len}, {"dim", dim}});
}

template <class S>
seqref::TensorView<S> mutable_view_of(py::array_t<S>& a) {
  return {a.mutable_data(), static_cast<Index>(a.shape(0)), static_cast<Index>(a.shape(1)),
          static_cast<Index>(a.shape(2))};
}

template <class S>
py::array_t<S> to_numpy(const char* fn, const seqref::Tensor3<S>& t) {
  auto out = new_tensor<S>(fn, t.heads(), t.len(), t.dim());
  seqref::python::copy_out(t.data(), static_cast<std::size_t>(t.size()), out, fn, "the output");
  return out;
}

// scale=None: 1/sqrt(head_dim), computed in S like the C++ API's default_scale<S>.
template <class S>
S resolve_scale(const std::optional<double>& scale, Index head_dim) {
  if (scale) return static_cast<S>(*scale);
  if (head_dim < 1) return S(1);  // the shape check in C++ rejects the call with a message naming the shapes
  return seqref::ref::default_scale<S>(head_dim);
}

// Contiguous copies + views of q, k, v in S.
template <class S>
struct Inputs {
  seqref::python::CArray<S> q, k, v;
  explicit Inputs(const QKV& a)
      : q(seqref::python::contiguous<S>(a.q, a.fn, "q")),
        k(seqref::python::contiguous<S>(a.k, a.fn, "k")),
        v(seqref::python::contiguous<S>(a.v, a.fn, "v")) {}
  seqref::ConstTensorView<S> qv() const { return view_of(q); }
  seqref::ConstTensorView<S> kv() const { return view_of(k); }
  seqref::ConstTensorView<S> vv() const { return view_of(v); }
};

// ---- seqref.ref -------------------------------------------------------------------------------------------------

template <class S>
py::array ref_causal_attention_t(const QKV& a, std::optional<double> scale) {
  Inputs<S> in(a);
  S s = resolve_scale<S>(scale, in.qv().dim);
  seqref::Tensor3<S> out;
  {
    py::gil_scoped_release nogil;
    out = seqref::ref::causal_attention<S>(in.qv(), in.kv(), in.vv(), s);
  }
  return to_numpy(a.fn, out);
}

py::array ref_causal_attention(const py::object& q, const py::object& k, const py::object& v,
                               std::optional<double> scale) {
  QKV a = as_qkv(q, k, v, "seqref.ref.causal_attention");
  return a.dtype == Dtype::f32 ? ref_causal_attention_t<float>(a, scale) : ref_causal_attention_t<double>(a, scale);
}

std::vector<Index> resolve_scan_order(const py::object& scan_order, Index len) {
  constexpr const char* fn = "seqref.ref.causal_attention_rnn";
  if (scan_order.is_none()) return {};
  if (py::isinstance<py::str>(scan_order)) {
    std::string s = scan_order.cast<std::string>();
    if (s == "reverse") return seqref::ref::reverse_order(len);
    if (s == "forward") return {};
    value_error(std::string(fn) + ": scan_order must be None, \"forward\", \"reverse\" or a sequence of ints; got \"" +
                s + "\"");
  }
  std::vector<Index> order;
  if (!py::isinstance<py::iterable>(scan_order))
    value_error(std::string(fn) + ": scan_order must be None, \"reverse\" or a sequence of ints; got " +
                py::repr(scan_order).cast<std::string>());
  for (py::handle item : scan_order) order.push_back(static_cast<Index>(as_integer(item, fn, "scan_order")));
  return order;
}

template <class S>
py::array ref_causal_attention_rnn_t(const QKV& a, std::optional<double> scale, const py::object& scan_order) {
  Inputs<S> in(a);
  S s = resolve_scale<S>(scale, in.qv().dim);
  std::vector<Index> order = resolve_scan_order(scan_order, in.qv().len);
  if (!scan_order.is_none() && order.empty() && in.qv().len > 0 && !py::isinstance<py::str>(scan_order))
    value_error("seqref.ref.causal_attention_rnn: scan_order must be a permutation of 0.." +
                std::to_string(in.qv().len - 1) + "; got 0 entries");
  seqref::Tensor3<S> out;
  {
    py::gil_scoped_release nogil;
    out = seqref::ref::causal_attention_rnn<S>(in.qv(), in.kv(), in.vv(), s, order);
  }
  return to_numpy(a.fn, out);
}

py::array ref_causal_attention_rnn(const py::object& q, const py::object& k, const py::object& v,
                                   std::optional<double> scale, const py::object& scan_order) {
  QKV a = as_qkv(q, k, v, "seqref.ref.causal_attention_rnn");
  return a.dtype == Dtype::f32 ? ref_causal_attention_rnn_t<float>(a, scale, scan_order)
                               : ref_causal_attention_rnn_t<double>(a, scale, scan_order);
}

// KV-cached decoding over a whole sequence: step t appends (k_t, v_t) and attends q_t over positions 0..t.
template <class S>
py::array ref_decode_t(const QKV& a, std::optional<double> scale) {
  Inputs<S> in(a);
  const auto q = in.qv(), k = in.kv(), v = in.vv();
  S s = resolve_scale<S>(scale, q.dim);
  seqref::check_causal_attention_args<S>("seqref.ref.decode", q, k, v, s);
  auto out = new_tensor<S>(a.fn, q.heads, q.len, v.dim);
  auto o = mutable_view_of(out);
  {
    py::gil_scoped_release nogil;
    seqref::ref::KvCache<S> cache(q.heads, q.dim, v.dim);
    seqref::Matrix<S> q_t(q.heads, q.dim), k_t(q.heads, q.dim), v_t(q.heads, v.dim);
    for (Index t = 0; t < q.len; ++t) {
      for (Index h = 0; h < q.heads; ++h) {
        q_t.row(h) = q.chead(h).row(t);
        k_t.row(h) = k.chead(h).row(t);
        v_t.row(h) = v.chead(h).row(t);
      }
      seqref::Matrix<S> o_t = seqref::ref::attention_decode_step<S>(cache, q_t, k_t, v_t, s);
      for (Index h = 0; h < q.heads; ++h) o.head(h).row(t) = o_t.row(h);
    }
  }
  return out;
}

py::array ref_decode(const py::object& q, const py::object& k, const py::object& v, std::optional<double> scale) {
  QKV a = as_qkv(q, k, v, "seqref.ref.decode");
  return a.dtype == Dtype::f32 ? ref_decode_t<float>(a, scale) : ref_decode_t<double>(a, scale);
}

seqref::ref::DecodeMode parse_mode(const std::string& mode) {
  if (mode == "kv_cached") return seqref::ref::DecodeMode::kv_cached;
  if (mode == "full_recompute") return seqref::ref::DecodeMode::full_recompute;
  if (mode == "constant_memory") return seqref::ref::DecodeMode::constant_memory;
  value_error(
      "seqref.ref.TinyDecoder.generate: mode must be \"kv_cached\", \"full_recompute\" or "
      "\"constant_memory\"; got \"" +
      mode + "\"");
}

py::dict tiny_generate(const seqref::ref::TinyDecoder<double>& model, const py::iterable& prompt, Index n_new,
                       const std::string& mode, std::uint64_t sample_seed) {
  constexpr const char* fn = "seqref.ref.TinyDecoder.generate";
  std::vector<std::int32_t> tokens;
  if (py::hasattr(prompt, "__len__"))  // a prompt too long to hold is refused before it is read
    seqref::require_memory(fn, double(py::len(prompt)) * sizeof(std::int32_t), "the prompt");
  for (py::handle item : prompt) {
    long long id = as_integer(item, fn, "prompt");
    if (id < std::numeric_limits<std::int32_t>::min() || id > std::numeric_limits<std::int32_t>::max())
      value_error(std::string(fn) + ": prompt[" + std::to_string(tokens.size()) + "] = " + std::to_string(id) +
                  " is outside [0, " + std::to_string(model.vocab) + ")");
    tokens.push_back(static_cast<std::int32_t>(id));
  }
  const seqref::ref::DecodeMode m = parse_mode(mode);
  seqref::ref::GenerationResult r;
  double seconds = 0;
  {
    py::gil_scoped_release nogil;
    const auto t0 = std::chrono::steady_clock::now();
    r = seqref::ref::generate<double>(model, tokens, n_new, m, sample_seed);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  py::array_t<double> logits(static_cast<py::ssize_t>(r.last_logits.size()));
  if (!r.last_logits.empty())
    std::memcpy(logits.mutable_data(), r.last_logits.data(), r.last_logits.size() * sizeof(double));
  py::list toks;
  for (std::int32_t t : r.tokens) toks.append(py::int_(t));
  py::dict d;
  d["tokens"] = toks;
  d["last_logits"] = logits;
  d["hidden_evaluations"] = py::int_(r.hidden_evaluations);
  d["attention_terms"] = py::int_(r.attention_terms);
  d["peak_state_scalars"] = py::int_(r.peak_state_scalars);
  d["seconds"] = py::float_(seconds);
  return d;
}

// ---- seqref.cpu -------------------------------------------------------------------------------------------------

template <class S>
py::array cpu_causal_attention_t(const QKV& a, std::optional<double> scale, std::optional<Index> block_q,
                                 std::optional<Index> block_k) {
  Inputs<S> in(a);
  const auto q = in.qv(), v = in.vv();
  S s = resolve_scale<S>(scale, q.dim);
  // Poisoned with NaN: an element the kernel fails to write shows up instead of passing as stale memory.
  auto out = new_tensor<S>(a.fn, q.heads, q.len, v.dim);
  auto o = mutable_view_of(out);
  if (o.size() > 0) std::fill(o.data, o.data + o.size(), std::numeric_limits<S>::quiet_NaN());
  const bool tiled = block_q.has_value() || block_k.has_value();
  seqref::cpu::AttentionTiling tiling;
  if (block_q) tiling.block_q = *block_q;
  if (block_k) tiling.block_k = *block_k;
  {
    py::gil_scoped_release nogil;
    if (tiled)
      seqref::cpu::causal_attention(q, in.kv(), v, o, s, tiling);
    else
      seqref::cpu::causal_attention(q, in.kv(), v, o, s);
  }
  return out;
}

py::array cpu_causal_attention(const py::object& q, const py::object& k, const py::object& v,
                               std::optional<double> scale, std::optional<Index> block_q,
                               std::optional<Index> block_k) {
  QKV a = as_qkv(q, k, v, "seqref.cpu.causal_attention");
  return a.dtype == Dtype::f32 ? cpu_causal_attention_t<float>(a, scale, block_q, block_k)
                               : cpu_causal_attention_t<double>(a, scale, block_q, block_k);
}

// ---- seqref.cuda ------------------------------------------------------------------------------------------------

py::array cuda_causal_attention(const py::object& q_obj, const py::object& k_obj, const py::object& v_obj,
                                std::optional<double> scale, bool bf16) {
  constexpr const char* fn = "seqref.cuda.causal_attention";
  QKV a = as_qkv(q_obj, k_obj, v_obj, fn);
  if (a.dtype != Dtype::f32)
    value_error(std::string(fn) + ": the CUDA backend takes float32 (bf16=True rounds float32 to bf16); got dtype " +
                dtype_of(a.q) + " " + shape_of(a.q));
  Inputs<float> in(a);
  const auto q = in.qv(), k = in.kv(), v = in.vv();
  float s = resolve_scale<float>(scale, q.dim);
  auto out = new_tensor<float>(a.fn, q.heads, q.len, v.dim);
  auto o = mutable_view_of(out);
  {
    py::gil_scoped_release nogil;
    if (!bf16) {
      seqref::cuda::causal_attention(q, k, v, o, s);
    } else {
      auto round = [](seqref::ConstTensorView<float> x, std::vector<seqref::bf16>& storage) {
        storage.resize(static_cast<std::size_t>(x.size()));
        for (Index i = 0; i < x.size(); ++i) storage[static_cast<std::size_t>(i)] = seqref::to_bf16(x.data[i]);
        return seqref::ConstTensorView<seqref::bf16>{storage.data(), x.heads, x.len, x.dim};
      };
      std::vector<seqref::bf16> qb, kb, vb;
      seqref::cuda::causal_attention(round(q, qb), round(k, kb), round(v, vb), o, s);
    }
  }
  return out;
}

void bind_causal_attention(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def("causal_attention", &ref_causal_attention, py::arg("q"), py::arg("k"), py::arg("v"),
          py::arg("scale") = py::none(),
          R"doc(causal_attention(q, k, v, scale=None) -> ndarray

Eq. (1) with materialized scores: P = softmax(scale * q k^T + causal mask) (two-pass softmax), O = P v.

q, k: (heads, T, d); v: (heads, T, dv); all float32 or all float64. Returns (heads, T, dv) in that dtype.
scale=None means 1/sqrt(d).
Raises ValueError on wrong ndim, mixed dtypes, mismatched shapes, empty dimensions, NaN/Inf input, a
non-finite scale, or logits that overflow the precision.)doc");

  ref.def("causal_attention_rnn", &ref_causal_attention_rnn, py::arg("q"), py::arg("k"), py::arg("v"),
          py::arg("scale") = py::none(), py::arg("scan_order") = py::none(),
          R"doc(causal_attention_rnn(q, k, v, scale=None, scan_order=None) -> ndarray

Eq. (2): for each query row i an RNN over the keys j <= i carrying (y, z, running max m) - online softmax.
scan_order gives the order in which keys are visited: None or "forward" is j = 0, 1, ..., T-1; "reverse" is
T-1, ..., 0 (the post's order); a sequence of ints must be a permutation of 0..T-1 (keys j > i are skipped).

q, k: (heads, T, d); v: (heads, T, dv); float32 or float64 (one dtype). Returns (heads, T, dv).
scale=None means 1/sqrt(d).
Raises ValueError on bad shapes/dtypes, NaN/Inf input, or a scan_order that is not a permutation.)doc");

  ref.def("decode", &ref_decode, py::arg("q"), py::arg("k"), py::arg("v"), py::arg("scale") = py::none(),
          R"doc(decode(q, k, v, scale=None) -> ndarray

KV-cached incremental decoding run over the whole sequence: for t = 0..T-1, append (k_t, v_t) to a KvCache and
attend q_t over every cached position (seqref::ref::attention_decode_step). Row t equals row t of eq. (1).

q, k: (heads, T, d); v: (heads, T, dv); float32 or float64 (one dtype). Returns (heads, T, dv).
scale=None means 1/sqrt(d). Raises ValueError on bad shapes/dtypes or NaN/Inf input.)doc");

  py::class_<seqref::ref::TinyDecoder<double>>(ref, "TinyDecoder", R"doc(A tiny random decoder-only model (float64).

h_0(t) = E[token_t]; per layer x = rmsnorm(h), q, k, v = x W_q, x W_k, x W_v (heads are column blocks),
h_l(t) = h_{l-1}(t) + concat_heads(attention) W_o; logits = rmsnorm(h_N) U. No positional encoding.
Tokens are drawn by Gumbel-max with noise fixed by a seed, so every decoding path must give the same tokens.)doc")
      .def(py::init([](Index vocab, Index d_model, Index heads, Index layers, std::uint64_t seed) {
             return seqref::ref::TinyDecoder<double>::random(vocab, d_model, heads, layers, seed);
           }),
           py::arg("vocab"), py::arg("d_model"), py::arg("heads"), py::arg("layers"), py::arg("seed"),
           R"doc(TinyDecoder(vocab, d_model, heads, layers, seed)

Random weights ~ N(0, 1/d_model) (embeddings N(0, 1)) from a portable seeded generator.
Raises ValueError unless vocab, d_model, heads, layers >= 1 and d_model is a multiple of heads.)doc")
      .def_readonly("vocab", &seqref::ref::TinyDecoder<double>::vocab, "Vocabulary size.")
      .def_readonly("d_model", &seqref::ref::TinyDecoder<double>::d_model, "Model width.")
      .def_readonly("heads", &seqref::ref::TinyDecoder<double>::heads, "Attention heads per layer.")
      .def_readonly("layers", &seqref::ref::TinyDecoder<double>::layers, "Number of layers N.")
      .def_property_readonly("head_dim", &seqref::ref::TinyDecoder<double>::head_dim, "d_model / heads.")
      .def("__repr__",
           [](const seqref::ref::TinyDecoder<double>& d) {
             return "seqref.ref.TinyDecoder(vocab=" + std::to_string(d.vocab) +
                    ", d_model=" + std::to_string(d.d_model) + ", heads=" + std::to_string(d.heads) +
                    ", layers=" + std::to_string(d.layers) + ")";
           })
      .def("generate", &tiny_generate, py::arg("prompt"), py::arg("n_new"), py::arg("mode"), py::arg("sample_seed") = 0,
           R"doc(generate(prompt, n_new, mode, sample_seed=0) -> dict

Generate n_new tokens after prompt (a non-empty sequence of ints in [0, vocab)).
mode: "kv_cached"       keep every layer's K, V: O(layers T d) memory, O(layers T d) time per token;
      "full_recompute"  rerun the whole prefix through eq. (1) each step: O(T^2) memory per step;
      "constant_memory" keep token ids only and recompute every needed k/v from the layer below,
                        recursively (the post's O(1)-space argument): O(layers d) memory,
                        Theta(T^N/N!) work per token for N layers.
Returns {"tokens": list[int] (prompt + generated), "last_logits": float64 ndarray (vocab,),
         "hidden_evaluations": int (h_l(t) vectors computed for l >= 1),
         "attention_terms": int (logits q_i.k_j computed, per layer, heads counted once: the work measure),
         "peak_state_scalars": int (most activation/cache scalars live at once, weights excluded),
         "seconds": float (wall time of the C++ call, steady_clock, GIL released)}.
Raises ValueError on an empty prompt, ids outside [0, vocab), n_new < 0 or an unknown mode.)doc");

  // The tile defaults in the docstring are those of seqref::cpu::AttentionTiling, the ones a call without
  // block_q/block_k runs (python/tests/test_causal_attention.py checks that the stated tiles give the same bits).
  const seqref::cpu::AttentionTiling default_tiling{};
  const std::string cpu_doc =
      R"doc(causal_attention(q, k, v, scale=None, block_q=None, block_k=None) -> ndarray

Eq. (1) computed flash-style: query tiles of block_q rows against key tiles of block_k keys with the
online-softmax update, scores never materialized beyond one tile; threads over (head, query tile).
Results do not depend on the thread count; o_t is bit-identical whatever q, k, v hold after t.

q, k: (heads, T, d); v: (heads, T, dv); float32 or float64 (one dtype). Returns (heads, T, dv).
scale=None means 1/sqrt(d). block_q/block_k=None keep the defaults (block_q=)doc" +
      std::to_string(default_tiling.block_q) + ", block_k=" + std::to_string(default_tiling.block_k) + R"doc().
Raises ValueError on bad shapes/dtypes, NaN/Inf input, overflowing logits, or block sizes < 1.)doc";
  cpu.def("causal_attention", &cpu_causal_attention, py::arg("q"), py::arg("k"), py::arg("v"),
          py::arg("scale") = py::none(), py::arg("block_q") = py::none(), py::arg("block_k") = py::none(),
          cpu_doc.c_str());  // pybind11 copies the docstring

  cuda.def("causal_attention", &cuda_causal_attention, py::arg("q"), py::arg("k"), py::arg("v"),
           py::arg("scale") = py::none(), py::arg("bf16") = false,
           R"doc(causal_attention(q, k, v, scale=None, bf16=False) -> ndarray (float32)

Eq. (1) on device 0 with the flash-style kernel: copy in, run, copy out.
q, k: (heads, T, d); v: (heads, T, dv); float32. bf16=True rounds the inputs to bfloat16 (nearest even) and runs
the bf16-input kernel (fp32 softmax and accumulation). Returns (heads, T, dv) float32.
scale=None means 1/sqrt(d).
Raises RuntimeError when CUDA is not built or no device is available; ValueError on bad shapes, a dtype other
than float32, or NaN/Inf input.)doc");
}

const seqref::python::RegisterBinder registered(&bind_causal_attention);

}  // namespace
