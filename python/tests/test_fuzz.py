"""Fuzz every public callable of seqref.ref, seqref.cpu and seqref.cuda (and the methods of their classes) with
hostile arguments, each call in a worker subprocess, and fail on a crash, a hang, an unexpected exception type, or
a result whose shape contradicts the inputs.

The callables are found by introspection, so a new binding is fuzzed without editing this file: a function with a
valid example call in VALID below is fuzzed by perturbing one argument of that call at a time (a dtype, a shape, a
layout, a value, an integer option); any other callable gets random arguments built from its pybind11 signature.

Accepted outcomes: a return value; ValueError, TypeError, MemoryError; RuntimeError from seqref.cuda, or one whose
message names the function. The workers run under a small process budget (SEQREF_MAX_BYTES, SEQREF_MAX_WORK) so
that every call is either refused at once or finishes in well under a second.

    python3 test_fuzz.py                       # the deterministic run (CTest): fixed seed, fixed number of cases
    python3 test_fuzz.py --seed 7 --cases 5000 # hunting; every failure prints the call that reproduces it
"""
import argparse
import inspect
import os
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np

DEFAULT_SEED = 20240601
DEFAULT_CASES = 5000
STARTUP_TIMEOUT_S = 120.0
CASE_TIMEOUT_S = 30.0  # one call: the budget below makes every legitimate call far shorter
WORKER_ENV = {"SEQREF_MAX_BYTES": "1e9", "SEQREF_MAX_WORK": "2e9", "OMP_NUM_THREADS": "1"}
WORKER_ADDRESS_SPACE = 8 << 30
# Under AddressSanitizer (the sanitize build preloads libasan) RLIMIT_AS cannot be used: the runtime reserves
# terabytes of shadow address space at start. The same bound is then ASan's own: an allocation over it returns null
# (std::bad_alloc, MemoryError) as it would in an uninstrumented process under the rlimit.
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")
if SANITIZED:
    WORKER_ENV["ASAN_OPTIONS"] = ":".join(
        filter(None, [os.environ.get("ASAN_OPTIONS", ""), "allocator_may_return_null=1",
                      f"malloc_limit_mb={WORKER_ADDRESS_SPACE >> 20}"]))
HUGE = (10**9, 10**12)
# SEQREF_FUZZ_SELFTEST="12:crash,20:hang" makes the worker die or hang at those cases (test of the harness itself)
SELFTEST = {int(k): v for k, v in (item.split(":") for item in os.environ.get("SEQREF_FUZZ_SELFTEST", "").split(",")
                                   if ":" in item)}


# ---- valid example calls -----------------------------------------------------------------------------------------
# name -> (make(rng) -> kwargs, expected(kwargs) -> tuple of output shapes (None: not checked)). The expected
# shapes are computed from the arguments actually passed, so a perturbed call that succeeds is still checked.

def _f(rng, *shape):
    return rng.standard_normal(shape)


def _shape(x):
    return np.shape(x)


def _qkv(rng, T=5, d=3, dv=4):
    return dict(q=_f(rng, 2, T, d), k=_f(rng, 2, T, d), v=_f(rng, 2, T, dv))


def _attn_out(a):
    return ((_shape(a["q"])[0], _shape(a["q"])[1], _shape(a["v"])[2]),)


def _deer_args(rng, T=6, d=3):
    return dict(A=0.4 * _f(rng, d, d), u=_f(rng, T, d), x0=_f(rng, d))


def _gru_args(rng, T=5, d=3, m=2):
    a = {n: 0.5 * _f(rng, d, m) for n in ("Wz", "Wr", "Wh")}
    a.update({n: 0.5 * _f(rng, d, d) for n in ("Uz", "Ur", "Uh")})
    a.update({n: _f(rng, d) for n in ("bz", "br", "bh")})
    a.update(u=_f(rng, T, m), x0=np.zeros(d))
    return a


def _states(a, dim_from="A"):
    return (_shape(a["u"])[0], _shape(a[dim_from])[0])


def _lr_args(rng, B=2, T=7, D=3, kind=3):
    J = 0.5 * _f(rng, *((B, T, D, D) if kind == 4 else (B, T, D) if kind == 3 else (B, T)))
    return dict(J=J, b=_f(rng, B, T, D), x0=_f(rng, B, D))


def _lr_out(a):
    B, T, D = _shape(a["b"])
    return ((B, T, D), (B, D))


def _ss_args(rng, batch=2, T=6, ch=3, N=4):
    return dict(u=_f(rng, batch, T, ch), delta=np.abs(_f(rng, batch, T, ch)), A=-np.abs(_f(rng, ch, N)),
                B=_f(rng, batch, T, N), C=_f(rng, batch, T, N), D=_f(rng, ch), z=_f(rng, batch, T, ch),
                delta_bias=_f(rng, ch), h0=_f(rng, batch, ch, N))


def _ss_out(a):
    b, T, c = _shape(a["u"])
    return ((b, T, c), (b, c, _shape(a["A"])[1]))


def _ssd_args(rng, b=1, T=6, H=2, P=3, G=1, N=2):
    return dict(X=_f(rng, b, T, H, P), A=-np.abs(_f(rng, b, T, H)), B=_f(rng, b, T, G, N), C=_f(rng, b, T, G, N),
                h0=_f(rng, b, H, P, N))


def _ssd_out(a):
    b, T, H, P = _shape(a["X"])
    return ((b, T, H, P), (b, H, P, _shape(a["B"])[3]))


def _c(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


VALID = {
    "ref.causal_attention": (lambda r: _qkv(r), _attn_out),
    "ref.causal_attention_rnn": (lambda r: dict(_qkv(r), scan_order="reverse"), _attn_out),
    "ref.decode": (lambda r: _qkv(r), _attn_out),
    "cpu.causal_attention": (lambda r: dict(_qkv(r), block_q=2, block_k=3), _attn_out),
    "cuda.causal_attention": (lambda r: {k: v.astype(np.float32) for k, v in _qkv(r).items()}, _attn_out),
    "ref.TinyDecoder": (lambda r: dict(vocab=7, d_model=4, heads=2, layers=2, seed=1), None),
    "ref.TinyDecoder.generate": (lambda r: dict(prompt=[1, 2], n_new=3, mode="kv_cached", sample_seed=0), None),
    "ref.deer": (lambda r: dict(_deer_args(r), method="newton", max_sweeps=0, keep_iterates=True,
                                initial_guess=np.zeros((6, 3))), lambda a: None),
    "cpu.deer": (lambda r: dict(_deer_args(r), method="quasi"), lambda a: None),
    "cuda.deer": (lambda r: {k: v.astype(np.float32) for k, v in _deer_args(r).items()}, lambda a: None),
    "ref.rnn_sequential": (_deer_args, lambda a: (_states(a),)),
    "cpu.rnn_sequential": (_deer_args, lambda a: (_states(a),)),
    "ref.deer_gru": (lambda r: dict(_gru_args(r), method="newton"), lambda a: None),
    "ref.gru_sequential": (_gru_args, lambda a: (_states(a, "Wz"),)),
    "ref.linear_recurrence": (lambda r: _lr_args(r, kind=4), _lr_out),
    "cpu.linear_recurrence": (lambda r: dict(_lr_args(r, kind=3), chunk=2, threads=1), _lr_out),
    "cuda.linear_recurrence": (lambda r: _lr_args(r, kind=2), _lr_out),
    "ref.selective_scan": (lambda r: dict(_ss_args(r), delta_softplus=True, discretization="zoh"), _ss_out),
    "cpu.selective_scan": (lambda r: dict(_ss_args(r), chunk=2, threads=1), _ss_out),
    "cuda.selective_scan": (lambda r: dict(_ss_args(r), chunk=0), _ss_out),
    "ref.ssd": (lambda r: dict(_ssd_args(r), form="chunked", chunk=4), _ssd_out),
    "cpu.ssd": (lambda r: dict(_ssd_args(r), chunk=4), _ssd_out),
    "cuda.ssd": (lambda r: dict(_ssd_args(r), chunk=4), _ssd_out),
    "ref.segsum": (lambda r: dict(a=-np.abs(_f(r, 5)), stable=True), lambda a: ((len(a["a"]), len(a["a"])),)),
    "ref.hippo_transition": (lambda r: dict(measure="legs", N=4, convention="paper", window=1.0),
                             lambda a: ((a["N"], a["N"]), (a["N"], 1))),
    "ref.hippo_basis": (lambda r: dict(measure="legt", convention="paper", N=4, s=np.linspace(-1, 1, 5)),
                        lambda a: ((len(a["s"]), a["N"]),)),
    "ref.hippo_reconstruct": (lambda r: dict(measure="legs", convention="paper", x=_f(r, 4),
                                             s=np.linspace(-1, 1, 6)), lambda a: ((len(a["s"]),),)),
    "ref.legs_matvec": (lambda r: dict(x=_f(r, 5)), lambda a: ((len(a["x"]),),)),
    "ref.legs_solve": (lambda r: dict(lam=0.3, v=_f(r, 5)), lambda a: ((len(a["v"]),),)),
    "ref.legs_online": (lambda r: dict(u=_f(r, 8), N=4, dense=True), lambda a: ((len(a["u"]), a["N"]),)),
    "ref.lti_online": (lambda r: dict(Abar=0.5 * np.eye(3), Bbar=np.ones((3, 1)), u=_f(r, 6)),
                       lambda a: ((len(a["u"]), _shape(a["Abar"])[0]),)),
    "cpu.hippo_legs_online": (lambda r: dict(u=_f(r, 2, 8), N=4), lambda a: (_shape(a["u"]) + (a["N"],),)),
    "cuda.hippo_legs_online": (lambda r: dict(u=_f(r, 2, 8).astype(np.float32), N=4),
                               lambda a: (_shape(a["u"]) + (a["N"],),)),
    "ref.rtf_kernel": (lambda r: dict(a=0.1 * _f(r, 3), b=_f(r, 3), L=8), lambda a: ((a["L"],),)),
    "ref.rtf_recurrence": (lambda r: dict(a=0.1 * _f(r, 3), b=_f(r, 3), u=_f(r, 9)), lambda a: ((len(a["u"]),),)),
    "ref.rtf_companion": (lambda r: dict(a=0.1 * _f(r, 3), b=_f(r, 3)), lambda a: None),
    "ref.dense_kernel": (lambda r: dict(A=0.3 * _f(r, 3, 3), B=_f(r, 3, 1), C=_f(r, 1, 3), L=7),
                         lambda a: ((a["L"],),)),
    "ref.rtf_from_dense": (lambda r: dict(A=0.3 * _f(r, 3, 3), B=_f(r, 3, 1), C=_f(r, 1, 3), L=5), lambda a: None),
    "ref.causal_conv": (lambda r: dict(kernel=_f(r, 6), u=_f(r, 6)), lambda a: None),
    "cpu.rtf_kernel": (lambda r: dict(a=0.1 * _f(r, 2, 3), b=_f(r, 2, 3), L=8),
                       lambda a: ((_shape(a["a"])[0], a["L"]),)),
    "cuda.rtf_kernel": (lambda r: dict(a=0.1 * _f(r, 2, 3).astype(np.float32), b=_f(r, 2, 3).astype(np.float32),
                                       L=8), lambda a: ((_shape(a["a"])[0], a["L"]),)),
    "cpu.causal_conv": (lambda r: dict(kernel=_f(r, 2, 6), u=_f(r, 2, 6)), lambda a: (_shape(a["kernel"]),)),
    "cuda.causal_conv": (lambda r: dict(kernel=_f(r, 2, 6).astype(np.float32), u=_f(r, 2, 6).astype(np.float32)),
                         lambda a: (_shape(a["kernel"]),)),
    "cpu.dft": (lambda r: dict(x=_c(r, 2, 5), inverse=False), lambda a: (_shape(a["x"]),)),
    "ref.s4_legs_kernels": (lambda r: dict(C=_f(r, 4), L=8, dt=0.1), lambda a: ((a["L"],), (a["L"],))),
    "ref.s4_kernel_errors": (lambda r: dict(C=_f(r, 3), L=4, dt=0.1), lambda a: None),
    "ref.cauchy_kernel": (lambda r: dict(w=_c(r, 4), lambda_=_c(r, 4), z=_c(r, 5)), lambda a: ((len(a["z"]),),)),
    "ref.s4d_kernel": (lambda r: dict(init="lin", C=_c(r, 4), dt=0.1, L=8), lambda a: ((a["L"],),)),
    "cpu.cauchy_kernel": (lambda r: dict(w=_c(r, 2, 4), lambda_=_c(r, 2, 4), z=_c(r, 5)),
                          lambda a: ((_shape(a["w"])[0], len(a["z"])),)),
}


# ---- enumeration -------------------------------------------------------------------------------------------------

def public_callables(seqref):
    """(name, callable, owner class or None) for every public function of the three submodules and every public
    method of their classes (constructors count as callables of the class name)."""
    out = []
    for mod_name in ("ref", "cpu", "cuda"):
        mod = getattr(seqref, mod_name)
        for name in sorted(dir(mod)):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                out.append((f"{mod_name}.{name}", obj, None))
                for meth in sorted(dir(obj)):
                    if not meth.startswith("_") and callable(getattr(obj, meth)):
                        out.append((f"{mod_name}.{name}.{meth}", getattr(obj, meth), obj))
            elif callable(obj):
                out.append((f"{mod_name}.{name}", obj, None))
    return out


def signature_of(fn):
    """[(name, annotation, has_default)] parsed from a pybind11 docstring's first line, e.g.
    'deer(A: object, u: object, x0: object = None, ...) -> dict'; None when there is no such line."""
    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    if not doc:
        return None
    m = re.match(r"^\w+\((.*)\)\s*(->.*)?$", doc[0])
    if not m:
        return None
    params, depth, cur = [], 0, ""
    for ch in m.group(1):  # split on top-level commas (annotations may hold brackets)
        if ch == "," and depth == 0:
            params.append(cur)
            cur = ""
            continue
        depth += ch in "[(" and 1 or 0
        depth -= ch in "])" and 1 or 0
        cur += ch
    if cur.strip():
        params.append(cur)
    out = []
    for p in params:
        p = p.strip()
        name, _, rest = p.partition(":")
        ann, _, default = rest.partition("=")
        if name.strip() in ("self", "*args", "**kwargs"):
            continue
        out.append((name.strip(), ann.strip(), bool(default)))
    return out


# ---- perturbations -----------------------------------------------------------------------------------------------

def huge_view(a, axis, n):
    """A zero-stride view of `a` with extent n on `axis` (no memory: broadcast of one slice)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return np.broadcast_to(a, (n,))
    one = np.take(a, [0], axis=axis) if a.shape[axis] > 0 else np.zeros_like(np.take(a, [], axis=axis)).sum(
        axis=axis, keepdims=True)
    shape = list(a.shape)
    shape[axis] = n
    return np.broadcast_to(one, tuple(shape))


def perturb_array(rng, a):
    """One hostile variant of the array a: (description, value)."""
    a = np.asarray(a)
    if a.size > 10**6:  # already a huge zero-stride view: only perturbations that never materialize it
        if rng.integers(0, 2) and a.ndim > 0:
            return "negative stride", a[::-1]
        return "add a dimension", a[None]
    kind = rng.integers(0, 9)
    if kind == 0:  # dtype
        dt = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_, np.complex128, object, "U3"][
            rng.integers(0, 9)]
        return f"astype({np.dtype(dt).name})", a.astype(dt)
    if kind == 1 and a.ndim > 0:  # one extent changed
        ax = int(rng.integers(0, a.ndim))
        n = int([0, 1, 2, 3, 7, a.shape[ax] + 1, max(a.shape[ax] - 1, 0)][rng.integers(0, 7)])
        shape = list(a.shape)
        shape[ax] = n
        b = np.resize(a, tuple(shape)) if n > 0 else np.zeros(tuple(shape), a.dtype)
        return f"extent {ax} -> {n}", b
    if kind == 2 and a.ndim > 0:  # a huge zero-stride extent
        ax = int(rng.integers(0, a.ndim))
        n = HUGE[rng.integers(0, 2)]
        return f"zero-stride extent {ax} -> {n}", huge_view(a, ax, n)
    if kind == 3:  # rank changed
        if a.ndim > 0 and rng.integers(0, 2):
            return "drop a dimension", a[0] if a.shape[0] else np.zeros(a.shape[1:], a.dtype)
        return "add a dimension", a[None]
    if kind == 4:  # layout, same values
        which = rng.integers(0, 3)
        if which == 0 and a.ndim > 0:
            return "negative stride", a[::-1]
        if which == 1:
            big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
            big[tuple(slice(None, None, 2) for _ in a.shape)] = a
            return "non-contiguous", big[tuple(slice(None, None, 2) for _ in a.shape)]
        return "zero-stride same shape", np.broadcast_to(a.reshape(-1)[:1].reshape((1,) * a.ndim), a.shape) \
            if a.size else a
    if kind == 5 and a.size > 0:  # special values
        v = [np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 1e-310, -0.0][rng.integers(0, 8)]
        b = np.array(a, dtype=np.result_type(a.dtype, np.float64) if a.dtype.kind != "c" else a.dtype)
        b.reshape(-1)[rng.integers(0, b.size)] = v
        return f"one entry = {v}", b
    if kind == 6:  # not an array
        alt = [None, 1.5, "abc", [1, [2, 3]], [], {}, b"xx"][rng.integers(0, 7)]
        return f"replaced by {alt!r}", alt
    if kind == 7:  # transposed (non-contiguous, other shape)
        return "transposed", a.T
    return "as a list", a.tolist()


def perturb_scalar(rng, name, v):
    if isinstance(v, bool):
        return [None, 2, "yes", 1.5][rng.integers(0, 4)]
    if isinstance(v, int):
        return [0, -1, 1, 3, 10**6, 10**9, 10**12, 2**31, 2**63 - 1, 2**63, -2**63, 1.5, None, "4"][
            rng.integers(0, 14)]
    if isinstance(v, float):
        return [0.0, -1.0, np.nan, np.inf, -np.inf, 1e308, 5e-324, None, "x", 1e-300][
            rng.integers(0, 10)]
    if isinstance(v, str):
        return ["", "bogus", "NEWTON", "\x00", None, 3, "zoh", "reverse"][rng.integers(0, 8)]
    if isinstance(v, list):
        return [[], [-1], [10**9], [2**40], [1.5], None, list(range(3000)), "ab"][rng.integers(0, 8)]
    return None


def random_value(rng, ann):
    """A random argument for an annotation of a pybind11 signature."""
    if "int" in ann:
        return int([0, 1, 2, 5, -1, 10**6, 2**62][rng.integers(0, 7)])
    if "float" in ann:
        return float([0.0, 1.0, 0.5, -1.0, np.nan, 1e308][rng.integers(0, 6)])
    if "bool" in ann:
        return bool(rng.integers(0, 2))
    if "str" in ann:
        return ["", "a", "legs", "paper", "newton", "chunked"][rng.integers(0, 6)]
    rank = int(rng.integers(0, 5))
    shape = tuple(int(rng.choice([0, 1, 2, 3, 5])) for _ in range(rank))
    a = rng.standard_normal(shape)
    if rng.integers(0, 3) == 0:
        _, a = perturb_array(rng, a)
    return a


# ---- one case ----------------------------------------------------------------------------------------------------

def build_case(seqref, callables, seed, index):
    """(description, thunk, expected) of case `index`: deterministic in (seed, index)."""
    rng = np.random.default_rng([seed, index])
    name, fn, owner = callables[index % len(callables)]
    mod = name.split(".")[0]
    valid = VALID.get(name)
    if valid is not None and rng.integers(0, 8) != 0:  # mostly: a valid call with one argument perturbed
        make, expected = valid
        kwargs = make(np.random.default_rng(index))
        keys = sorted(kwargs)
        desc = "valid call"
        if rng.integers(0, 10) != 0:
            whats = []
            for _ in range(1 if rng.integers(0, 5) else 2):  # one argument, sometimes two
                key = keys[rng.integers(0, len(keys))]
                v = kwargs[key]
                if isinstance(v, np.ndarray):
                    what, kwargs[key] = perturb_array(rng, v)
                else:
                    kwargs[key] = perturb_scalar(rng, key, v)
                    what = f"= {kwargs[key]!r}"
                whats.append(f"{key}: {what}")
            desc = "; ".join(whats)
    else:  # random arguments from the signature (every positional, some optional ones)
        expected = None
        kwargs = {}
        for pname, ann, has_default in signature_of(fn) or []:
            if not has_default or rng.integers(0, 2):
                kwargs[pname] = random_value(rng, ann)
        desc = "random arguments"
    if owner is not None:  # a method: bind it to a valid instance of its class
        cls_name = name.rsplit(".", 1)[0]
        ctor = VALID.get(cls_name)
        inst = owner(**ctor[0](rng)) if ctor else None
        call = (lambda: getattr(inst, name.rsplit(".", 1)[1])(**kwargs)) if inst is not None else (lambda: None)
    else:
        call = lambda: fn(**kwargs)  # noqa: E731
    return name, mod, desc, kwargs, call, expected


def describe_args(kwargs):
    parts = []
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            parts.append(f"{k}=<{v.dtype} {v.shape} strides {v.strides}>")
        else:
            r = repr(v)
            parts.append(f"{k}={r if len(r) < 60 else r[:57] + '...'}")
    return ", ".join(parts)


def shapes_of(result):
    if isinstance(result, np.ndarray):
        return (result.shape,)
    if isinstance(result, tuple):
        return tuple(x.shape for x in result if isinstance(x, np.ndarray))
    if isinstance(result, dict) and isinstance(result.get("states"), np.ndarray):
        return (result["states"].shape,)
    return None


def outcome(seqref, name, mod, kwargs, call, expected):
    try:
        result = call()
    except (ValueError, TypeError, MemoryError) as e:
        return "ok:" + type(e).__name__
    except RuntimeError as e:
        msg = str(e)
        short = name.rsplit(".", 1)[-1]
        if mod == "cuda" or f"seqref.{name}" in msg or short in msg:
            return "ok:RuntimeError"
        return f"FAIL:RuntimeError not naming the function: {msg[:200]}"
    except BaseException as e:  # noqa: BLE001 - any other type is a finding
        return f"FAIL:{type(e).__name__}: {str(e)[:200]}"
    if expected is not None:
        try:
            want = expected(kwargs)
        except Exception:  # noqa: BLE001 - the perturbed arguments have no well-defined expected shape
            want = None
        got = shapes_of(result)
        if want is not None and got is not None and tuple(got[: len(want)]) != tuple(want):
            return f"FAIL:result shapes {got}, expected {want}"
    return "ok:return"


# ---- worker and driver -------------------------------------------------------------------------------------------

def worker(seed, start, stop):
    # a bound on the worker's address space: an unbudgeted allocation fails (MemoryError or a crash, both
    # reported) instead of pushing a shared machine into swap
    if not SANITIZED:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_ADDRESS_SPACE, WORKER_ADDRESS_SPACE))
    import seqref
    callables = public_callables(seqref)
    for i in range(start, stop):
        try:
            name, mod, desc, kwargs, call, expected = build_case(seqref, callables, seed, i)
        except Exception as e:  # noqa: BLE001 - a bug of this harness: reported as a failure, not as a crash
            print(f"CASE {i}\t(harness)\tbuilding the case\t", flush=True)
            print(f"DONE {i}\tFAIL:harness error {type(e).__name__}: {e}", flush=True)
            continue
        print(f"CASE {i}\t{name}\t{desc}\t{describe_args(kwargs)}", flush=True)
        if SELFTEST.get(i) == "crash":  # the harness's own check: a worker killed by a signal mid-call
            os.kill(os.getpid(), signal.SIGSEGV)
        if SELFTEST.get(i) == "hang":
            time.sleep(3600)
        print(f"DONE {i}\t{outcome(seqref, name, mod, kwargs, call, expected)}", flush=True)


def proc_stat(pid):
    """(state, user + system CPU seconds) of a process from Linux /proc; ("?", 0) where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return "?", 0.0


def cpu_seconds(pid):
    return proc_stat(pid)[1]


def starved(pid, case_cpu, case_wall):
    """True while a slow case is still computing on a loaded machine: runnable, with less than CASE_TIMEOUT_S of CPU
    used on this case (and under 10x that in wall time). A case is a hang once it has burnt CASE_TIMEOUT_S of CPU, or
    sleeps (a deadlock) past CASE_TIMEOUT_S: the verdict then does not depend on how loaded the machine is."""
    state, cpu = proc_stat(pid)
    return state == "R" and cpu - case_cpu < CASE_TIMEOUT_S and time.time() - case_wall < 10 * CASE_TIMEOUT_S


def drive(seed, cases, verbose=False):
    import seqref
    names = [n for n, _, _ in public_callables(seqref)]
    env = dict(os.environ, **WORKER_ENV)
    failures, counts, covered = [], {}, set()
    t0 = time.time()
    i = 0
    while i < cases:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", "--seed", str(seed), "--start", str(i),
                                 "--stop", str(cases)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        current = None
        pending = b""  # read from the raw pipe: a buffered reader could hold a line select() cannot see
        fd = proc.stdout.fileno()
        while True:
            while b"\n" not in pending:
                # a worker's start (imports) may take long on a loaded machine; a case has CASE_TIMEOUT_S
                ready, _, _ = select.select([fd], [], [], CASE_TIMEOUT_S if current else STARTUP_TIMEOUT_S)
                if not ready and current and starved(proc.pid, case_cpu, case_wall):
                    continue  # a slow machine, not a hang: the case has not yet had CASE_TIMEOUT_S of CPU
                if not ready:
                    break
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                pending += chunk
            if b"\n" not in pending:
                if proc.poll() is None and not ready:  # a hang: the current case never finished
                    proc.kill()
                    proc.wait()
                    failures.append(f"HANG (> {CASE_TIMEOUT_S:.0f} s): {current}")
                    i = int(current.split()[1]) + 1 if current else i + 1
                    break
                rc = proc.wait()  # the worker died (or finished)
                if i >= cases:
                    break
                err = proc.stderr.read().decode(errors="replace")[-500:]
                failures.append(f"CRASH (exit {rc}): {current}\n    stderr: {err.strip()}")
                i = int(current.split()[1]) + 1 if current else i + 1
                break
            raw, pending = pending.split(b"\n", 1)
            line = raw.decode(errors="replace")
            if line.startswith("CASE "):
                current = line
                case_cpu, case_wall = cpu_seconds(proc.pid), time.time()
                covered.add(line.split("\t")[1])
            elif line.startswith("DONE "):
                _, res = line.split("\t", 1)
                key = res.split(":")[1] if res.startswith("ok:") else "FAIL"
                counts[key] = counts.get(key, 0) + 1
                if res.startswith("FAIL"):
                    failures.append(f"{res}: {current}")
                elif verbose:
                    print(res, current)
                i = int(line.split()[1]) + 1
                current = None
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if i >= cases:
            break
    seconds = time.time() - t0
    missing = sorted(set(names) - covered)
    print(f"fuzz: seed {seed}, {cases} cases over {len(names)} callables ({len(covered)} reached) in "
          f"{seconds:.1f} s; outcomes {dict(sorted(counts.items()))}")
    if missing:
        print("  not reached (raise --cases):", ", ".join(missing))
    for f in failures:
        print("  " + f.replace("\t", " | "))
    return failures


def test_fuzz_every_binding():
    seed, cases = DEFAULT_SEED, DEFAULT_CASES
    print(f"fuzz seed {seed} (replay: python3 {os.path.basename(__file__)} --seed {seed} --cases {cases})")
    failures = drive(seed, cases)
    assert not failures, f"{len(failures)} fuzz failures (listed above)"


def test_harness_reports_crashes_and_hangs_and_continues():
    global CASE_TIMEOUT_S
    saved = CASE_TIMEOUT_S, os.environ.get("SEQREF_FUZZ_SELFTEST")
    CASE_TIMEOUT_S = 10.0
    os.environ["SEQREF_FUZZ_SELFTEST"] = "5:crash,9:hang"
    try:
        failures = drive(DEFAULT_SEED, 14)
    finally:
        CASE_TIMEOUT_S = saved[0]
        if saved[1] is None:
            del os.environ["SEQREF_FUZZ_SELFTEST"]
        else:
            os.environ["SEQREF_FUZZ_SELFTEST"] = saved[1]
    assert len(failures) == 2, failures
    # a SIGSEGV: the signal itself (-11), or exit 1 where ASan's handler catches it and aborts
    assert failures[0].startswith("CRASH (exit 1): CASE 5" if SANITIZED else "CRASH (exit -11): CASE 5"), failures[0]
    assert failures[1].startswith("HANG") and "CASE 9" in failures[1], failures[1]


def test_every_callable_has_a_valid_call_or_a_signature():
    import seqref
    for name, fn, _ in public_callables(seqref):
        assert name in VALID or signature_of(fn) is not None, name


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--stop", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--timeout", type=float, default=CASE_TIMEOUT_S, help="seconds before a call counts as a hang")
    args = ap.parse_args()
    CASE_TIMEOUT_S = args.timeout
    if args.worker:
        worker(args.seed, args.start, args.stop)
        sys.exit(0)
    if args.seed is not None:
        sys.exit(1 if drive(args.seed, args.cases, args.verbose) else 0)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import seqref  # noqa: F401 - for the runner's summary line
    from script_runner import run
    sys.exit(run(globals()))
