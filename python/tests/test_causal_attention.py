"""Tests of the seqref Python bindings for attention/causal_attention (kexue.fm/archives/10017).

Runs under pytest, or as a script (what CTest does; pytest is not required):

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_causal_attention.py

The module under test is found on PYTHONPATH. Every test is a plain function with plain asserts.
"""

import math
import re
import sys

import numpy as np

from script_runner import expect_error

try:
    import seqref
except ImportError as e:  # pragma: no cover - a configuration error, not a test failure
    sys.stderr.write(
        f"cannot import seqref ({e}); build the seqref_python target and set PYTHONPATH=<build>/python\n")
    raise

DTYPES = (np.float32, np.float64)
# normwise relative error bounds against the float64 NumPy evaluation of eq. (1)
TOL = {np.float32: 1e-5, np.float64: 1e-12}
MODES = ("kv_cached", "full_recompute", "constant_memory")


# ---- helpers -----------------------------------------------------------------------------------------------------

def numpy_causal_attention(q, k, v, scale=None):
    """Eq. (1) in float64 NumPy: o_i = sum_{j<=i} exp(s q_i.k_j) v_j / sum_{j<=i} exp(s q_i.k_j)."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    T = q.shape[1]
    s = scale * np.einsum("htd,hsd->hts", q, k)
    s = np.where(np.tril(np.ones((T, T), dtype=bool)), s, -np.inf)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v


def rel_err(a, b):
    """Normwise relative error ||a - b|| / ||b|| in float64."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def random_qkv(heads, T, d, dv=None, dtype=np.float64, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    dv = d if dv is None else dv
    q = (spread * rng.standard_normal((heads, T, d))).astype(dtype)
    k = (spread * rng.standard_normal((heads, T, d))).astype(dtype)
    v = rng.standard_normal((heads, T, dv)).astype(dtype)
    return q, k, v


def round_to_bf16(x):
    """float32 -> nearest bfloat16 (ties to even) -> float32, as seqref::round_to_bf16 (finite inputs)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def constant_memory_evaluations(layer, t):
    """h_l(t) vectors (l >= 1) computed when the O(1)-space decoder evaluates h_layer(t) with nothing cached:
    E_0(t) = 0, E_l(t) = 1 + sum_{j<=t} E_{l-1}(j)  (h_{l-1}(t) is computed once and reused as key t)."""
    e = [0] * (t + 1)
    for _ in range(layer):
        prefix, nxt = 0, []
        for j in range(t + 1):
            prefix += e[j]
            nxt.append(1 + prefix)
        e = nxt
    return e[t]


def all_forms():
    """Every binding that computes eq. (1), as (name, callable(q, k, v, scale=None))."""
    return [
        ("ref.causal_attention", seqref.ref.causal_attention),
        ("ref.causal_attention_rnn", seqref.ref.causal_attention_rnn),
        ("ref.causal_attention_rnn[reverse]",
         lambda q, k, v, scale=None: seqref.ref.causal_attention_rnn(q, k, v, scale, scan_order="reverse")),
        ("ref.decode", seqref.ref.decode),
        ("cpu.causal_attention", seqref.cpu.causal_attention),
    ]


# ---- module surface ----------------------------------------------------------------------------------------------

def test_module_surface():
    assert isinstance(seqref.__version__, str) and seqref.__version__.count(".") >= 1
    assert seqref.default_scale(16) == 0.25
    assert abs(seqref.default_scale(3) - 1 / math.sqrt(3)) < 1e-16
    expect_error(ValueError, seqref.default_scale, 0)
    assert seqref.cpu.max_threads() >= 1
    import importlib
    assert importlib.import_module("seqref.ref") is seqref.ref  # submodules are importable by name
    assert importlib.import_module("seqref.cpu").causal_attention is seqref.cpu.causal_attention
    for fn in (seqref.ref.causal_attention, seqref.ref.causal_attention_rnn, seqref.ref.decode,
               seqref.ref.TinyDecoder.generate, seqref.cpu.causal_attention, seqref.cuda.causal_attention,
               seqref.default_scale):
        assert fn.__doc__ and "->" in fn.__doc__ and "Raises" in fn.__doc__, fn


def test_shapes_and_dtypes_round_trip():
    heads, T, d, dv = 3, 11, 5, 7  # dv != d: the value dim is carried through
    for dtype in DTYPES:
        q, k, v = random_qkv(heads, T, d, dv, dtype=dtype, seed=1)
        copies = [x.copy() for x in (q, k, v)]
        for name, form in all_forms():
            o = form(q, k, v)
            assert isinstance(o, np.ndarray), name
            assert o.shape == (heads, T, dv), (name, o.shape)
            assert o.dtype == dtype, (name, o.dtype)
            assert o.flags.c_contiguous, name
            assert np.all(np.isfinite(o)), name
            assert np.any(o != 0), name  # non-vacuous
        for x, c in zip((q, k, v), copies):
            assert np.array_equal(x, c), "inputs must not be modified"


def test_non_contiguous_input_is_copied():
    for dtype in DTYPES:
        q, k, v = random_qkv(2, 9, 4, dtype=dtype, seed=2)
        # the same values laid out transposed in memory, and strided slices of a bigger array
        qt = np.ascontiguousarray(q.transpose(2, 1, 0)).transpose(2, 1, 0)
        big = np.zeros((2, 18, 8), dtype=dtype)
        big[:, ::2, ::2] = k
        ks = big[:, ::2, ::2]
        assert not qt.flags.c_contiguous and not ks.flags.c_contiguous
        for name, form in all_forms():
            assert np.array_equal(form(qt, ks, v), form(q, k, v)), name


def test_lists_are_accepted():
    q, k, v = random_qkv(1, 3, 2, seed=3)
    o = seqref.ref.causal_attention(q.tolist(), k.tolist(), v.tolist())
    assert o.dtype == np.float64 and np.array_equal(o, seqref.ref.causal_attention(q, k, v))


# ---- values ------------------------------------------------------------------------------------------------------

def test_ref_and_cpu_match_numpy_eq1():
    shapes = [(1, 1, 1, 1), (2, 17, 8, 5), (3, 130, 16, 16), (1, 200, 3, 9)]  # 130, 200 cross the cpu tiles
    for heads, T, d, dv in shapes:
        for dtype in DTYPES:
            q, k, v = random_qkv(heads, T, d, dv, dtype=dtype, seed=T)
            expected = numpy_causal_attention(q, k, v)  # float64 on the (rounded) inputs
            for name, form in all_forms():
                err = rel_err(form(q, k, v), expected)
                assert err < TOL[dtype], f"{name} {dtype.__name__} {(heads, T, d, dv)}: rel err {err:.3g}"


def test_explicit_scale():
    q, k, v = random_qkv(2, 13, 4, seed=4)
    for scale in (1.0, 0.1, 3.0):  # 1.0 is the post's (unscaled) eq. (1)
        expected = numpy_causal_attention(q, k, v, scale)
        for name, form in all_forms():
            assert rel_err(form(q, k, v, scale), expected) < 1e-12, (name, scale)
    # scale=None is 1/sqrt(d)
    a = seqref.ref.causal_attention(q, k, v)
    b = seqref.ref.causal_attention(q, k, v, seqref.default_scale(4))
    assert np.array_equal(a, b)


def test_cpu_tilings_agree():
    q, k, v = random_qkv(2, 67, 8, 6, seed=5)
    expected = seqref.ref.causal_attention(q, k, v)
    for bq, bk in [(1, 1), (3, 5), (64, 7), (None, 1), (200, None), (67, 67)]:
        out = seqref.cpu.causal_attention(q, k, v, block_q=bq, block_k=bk)
        assert rel_err(out, expected) < 1e-12, (bq, bk)


def test_cpu_docstring_states_the_default_tiles():
    # The docstring's "defaults (block_q=Q, block_k=K)" must be the tiles a call without block_q/block_k runs:
    # stated explicitly they give the same bits (f32, T past two key tiles of any stated size), while other tiles
    # round differently (the online-softmax rescaling points move), so a docstring naming other tiles fails here.
    m = re.search(r"defaults \(block_q=(\d+), block_k=(\d+)\)", seqref.cpu.causal_attention.__doc__)
    assert m, seqref.cpu.causal_attention.__doc__
    bq, bk = int(m.group(1)), int(m.group(2))
    q, k, v = random_qkv(2, 3 * max(bq, bk) + 5, 16, 16, dtype=np.float32, seed=11)
    default = seqref.cpu.causal_attention(q, k, v)
    assert np.array_equal(default, seqref.cpu.causal_attention(q, k, v, block_q=bq, block_k=bk)), (bq, bk)
    for other in [(bq, bk // 2), (bq, 2 * bk), (64, 128)]:
        if other != (bq, bk):  # the test can tell tilings apart at this size
            assert not np.array_equal(default, seqref.cpu.causal_attention(q, k, v, block_q=other[0],
                                                                           block_k=other[1])), other


def test_rnn_reverse_order_equals_standard():
    for dtype in DTYPES:
        q, k, v = random_qkv(2, 23, 6, 4, dtype=dtype, seed=6)
        standard = seqref.ref.causal_attention(q, k, v)
        T = q.shape[1]
        orders = {
            "reverse": "reverse",                   # the post's order j = i, i-1, ..., 0
            "list reverse": list(range(T))[::-1],
            "numpy reverse": np.arange(T)[::-1],    # numpy integers are ints too
            "forward": None,
            "random": np.random.default_rng(7).permutation(T).tolist(),
        }
        for name, order in orders.items():
            out = seqref.ref.causal_attention_rnn(q, k, v, scan_order=order)
            err = rel_err(out, standard)
            assert err < TOL[dtype], f"{name} {dtype.__name__}: {err:.3g}"


def test_decode_equals_standard():
    for dtype in DTYPES:
        q, k, v = random_qkv(3, 31, 4, 5, dtype=dtype, seed=8)
        assert rel_err(seqref.ref.decode(q, k, v), seqref.ref.causal_attention(q, k, v)) < TOL[dtype]
    # causality: row t does not depend on positions after t
    q, k, v = random_qkv(1, 10, 3, seed=9)
    base = seqref.ref.decode(q, k, v)
    k2 = k.copy()
    k2[:, 6:] += 5.0
    assert np.array_equal(seqref.ref.decode(q, k2, v)[:, :6], base[:, :6])


def test_extreme_logits_do_not_overflow():
    q, k, v = random_qkv(1, 16, 4, seed=10)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True) * 100.0
    k = k / np.linalg.norm(k, axis=-1, keepdims=True) * 100.0  # |logits| up to 1e4 at scale 1
    expected = numpy_causal_attention(q, k, v, 1.0)
    for name, form in all_forms():
        out = form(q, k, v, 1.0)
        assert np.all(np.isfinite(out)), name
        assert rel_err(out, expected) < 1e-9, name


# ---- bad input ---------------------------------------------------------------------------------------------------

def test_value_errors():
    q, k, v = random_qkv(2, 5, 3, seed=11)
    for name, form in all_forms():
        # wrong ndim names the argument and its shape
        expect_error(ValueError, form, q[0], k, v, must_mention=("q", "(5, 3)"))
        expect_error(ValueError, form, q, k, v[None], must_mention=("v", "(1, 2, 5, 3)"))
        # mismatched shapes name every shape
        expect_error(ValueError, form, q, k[:, :4], v, must_mention=("[2, 4, 3]",))
        expect_error(ValueError, form, q, k[:, :, :2], v)
        expect_error(ValueError, form, q[:1], k, v)
        # empty dimensions
        expect_error(ValueError, form, q[:, :0], k[:, :0], v[:, :0])
        # NaN / Inf anywhere
        for which in range(3):
            for bad_value in (np.nan, np.inf, -np.inf):
                args = [q.copy(), k.copy(), v.copy()]
                args[which][1, 3, 2] = bad_value
                expect_error(ValueError, form, *args, must_mention=("non-finite",))
        # mixed dtypes name both
        expect_error(ValueError, form, q.astype(np.float32), k, v, must_mention=("float32", "float64"))
        expect_error(ValueError, form, q, k, v.astype(np.float32), must_mention=("float32", "float64"))
        # unsupported dtype
        expect_error(ValueError, form, q.astype(np.int64), k.astype(np.int64), v.astype(np.int64),
                     must_mention=("int64",))
        # non-finite scale
        expect_error(ValueError, form, q, k, v, float("nan"))
    # form-specific arguments
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order=[0, 1, 2])
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order=[0, 1, 2, 3, 3])
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order=[0, 1, 2, 3, 5])
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order=[])
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order="sideways")
    expect_error(ValueError, seqref.ref.causal_attention_rnn, q, k, v, scan_order=[0, 1, 2, 3, 4.0])
    expect_error(ValueError, seqref.cpu.causal_attention, q, k, v, block_q=0)
    expect_error(ValueError, seqref.cpu.causal_attention, q, k, v, block_k=-1)


# ---- CUDA --------------------------------------------------------------------------------------------------------

def test_cuda():
    assert isinstance(seqref.cuda.built(), bool)
    available = seqref.cuda.available()
    assert isinstance(seqref.cuda.device_name(), str)
    q, k, v = random_qkv(2, 70, 16, dtype=np.float32, seed=12)
    if not available:
        assert seqref.cuda.device_name() == ""
        expect_error(RuntimeError, seqref.cuda.causal_attention, q, k, v)
        expect_error(RuntimeError, seqref.cuda.causal_attention, q, k, v, bf16=True)
        return
    assert seqref.cuda.built() and seqref.cuda.device_name() != ""
    out = seqref.cuda.causal_attention(q, k, v)
    assert out.dtype == np.float32 and out.shape == q.shape
    assert rel_err(out, numpy_causal_attention(q, k, v)) < 1e-5
    out16 = seqref.cuda.causal_attention(q, k, v, bf16=True)
    assert out16.dtype == np.float32 and out16.shape == q.shape
    qb, kb, vb = (round_to_bf16(x) for x in (q, k, v))
    assert rel_err(out16, numpy_causal_attention(qb, kb, vb)) < 1e-5  # bf16 only at the inputs
    expect_error(ValueError, seqref.cuda.causal_attention, q.astype(np.float64), k, v)
    bad = q.copy()
    bad[0, 0, 0] = np.nan
    expect_error(ValueError, seqref.cuda.causal_attention, bad, k, v)


def test_cuda_dtype_checks_come_first():
    # float64 is not a CUDA input type whether or not CUDA is there
    q, k, v = random_qkv(1, 4, 2, seed=13)
    expect_error(ValueError, seqref.cuda.causal_attention, q, k, v, must_mention=("float32",))
    expect_error(ValueError, seqref.cuda.causal_attention, q[0], k, v)


# ---- generation --------------------------------------------------------------------------------------------------

def test_generation_modes_give_identical_tokens():
    for layers in (1, 2, 3):
        model = seqref.ref.TinyDecoder(32, 16, 2, layers, 100 + layers)
        assert (model.vocab, model.d_model, model.heads, model.layers, model.head_dim) == (32, 16, 2, layers, 8)
        for prompt in ([1], [4, 9, 2]):
            n_new = 12
            runs = {mode: model.generate(prompt, n_new, mode, sample_seed=7) for mode in MODES}
            tokens = runs["kv_cached"]["tokens"]
            assert len(tokens) == len(prompt) + n_new and tokens[:len(prompt)] == prompt
            assert all(isinstance(t, int) and 0 <= t < 32 for t in tokens)
            for mode, r in runs.items():
                assert set(r) == {"tokens", "last_logits", "hidden_evaluations", "attention_terms", "peak_state_scalars",
                                  "seconds"}
                assert r["tokens"] == tokens, (layers, prompt, mode)
                assert r["last_logits"].shape == (32,) and r["last_logits"].dtype == np.float64
                assert rel_err(r["last_logits"], runs["kv_cached"]["last_logits"]) < 1e-10, (layers, mode)
                assert r["seconds"] >= 0.0 and r["hidden_evaluations"] > 0 and r["peak_state_scalars"] > 0
            # the KV cache evaluates each position once per layer
            assert runs["kv_cached"]["hidden_evaluations"] == layers * (len(prompt) + n_new - 1)
            # full recompute evaluates every position of the prefix at every layer, every step
            P = len(prompt)
            assert runs["full_recompute"]["hidden_evaluations"] == sum(layers * (P + s) for s in range(n_new))
            # constant memory: the recursion h_l(t) <- h_{l-1}(0..t), counted in closed form
            assert runs["constant_memory"]["hidden_evaluations"] == sum(
                constant_memory_evaluations(layers, P - 1 + s) for s in range(n_new))
    # different sampling seeds give different continuations (the noise is really used)
    model = seqref.ref.TinyDecoder(32, 16, 2, 2, 5)
    a = model.generate([1], 20, "kv_cached", sample_seed=1)["tokens"]
    b = model.generate([1], 20, "kv_cached", sample_seed=2)["tokens"]
    assert a != b


def test_constant_memory_state_does_not_grow():
    model = seqref.ref.TinyDecoder(32, 16, 2, 2, 11)
    peaks = {mode: [model.generate([1], n, mode)["peak_state_scalars"] for n in (4, 16, 32)] for mode in MODES}
    assert peaks["constant_memory"][0] == peaks["constant_memory"][1] == peaks["constant_memory"][2]
    assert peaks["kv_cached"][0] < peaks["kv_cached"][1] < peaks["kv_cached"][2]
    assert peaks["full_recompute"][0] < peaks["full_recompute"][1] < peaks["full_recompute"][2]


def test_generate_value_errors():
    model = seqref.ref.TinyDecoder(8, 4, 2, 1, 0)
    expect_error(ValueError, model.generate, [], 3, "kv_cached", must_mention=("prompt",))
    expect_error(ValueError, model.generate, [8], 3, "kv_cached", must_mention=("[0, 8)",))
    expect_error(ValueError, model.generate, [-1], 3, "kv_cached")
    expect_error(ValueError, model.generate, [2**40], 3, "kv_cached")
    expect_error(ValueError, model.generate, [1.0], 3, "kv_cached")
    expect_error(ValueError, model.generate, [1], -1, "kv_cached", must_mention=("n_new",))
    expect_error(ValueError, model.generate, [1], 3, "sideways", must_mention=("kv_cached",))
    expect_error(ValueError, seqref.ref.TinyDecoder, 8, 5, 2, 1, 0)  # d_model not a multiple of heads
    expect_error(ValueError, seqref.ref.TinyDecoder, 0, 4, 2, 1, 0)
    assert model.generate([3], 0, "constant_memory")["tokens"] == [3]


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
