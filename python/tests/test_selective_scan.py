"""Tests of the seqref Python bindings for ssm/selective_scan (Mamba S6, arXiv 2312.00752).

Runs as a script (what CTest does): PYTHONPATH=build/python /usr/bin/python3 python/tests/test_selective_scan.py
"""

import sys

import numpy as np

import seqref


def problem(batch=2, T=129, channels=5, dstate=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    p = dict(
        u=rng.standard_normal((batch, T, channels)),
        delta=rng.uniform(-5, 1, (batch, T, channels)),
        A=-np.outer(rng.uniform(0.1, 2, channels), np.arange(1, dstate + 1)),
        B=rng.standard_normal((batch, T, dstate)),
        C=rng.standard_normal((batch, T, dstate)),
        D=rng.standard_normal(channels),
        z=2 * rng.standard_normal((batch, T, channels)),
        delta_bias=rng.uniform(-1, 1, channels),
        delta_softplus=True,
        h0=rng.standard_normal((batch, channels, dstate)),
    )
    return {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in p.items()}


def numpy_selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False, h0=None,
                         discretization="euler"):
    """Mamba's selective_scan_ref, time-major, written independently in NumPy."""
    batch, T, channels = u.shape
    dstate = A.shape[1]
    d = delta + (0 if delta_bias is None else delta_bias)
    if delta_softplus:
        d = np.where(d <= 20, np.log1p(np.exp(np.minimum(d, 20))), d)
    h = np.zeros((batch, channels, dstate)) if h0 is None else h0.copy()
    y = np.empty_like(u)
    for t in range(T):
        dA = d[:, t, :, None] * A[None]                        # [batch, channels, dstate]
        if discretization == "euler":
            f = d[:, t, :, None] * np.ones_like(A)[None]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(A[None] == 0, d[:, t, :, None], np.expm1(dA) / A[None])
        h = np.exp(dA) * h + f * B[:, t, None, :] * u[:, t, :, None]
        y[:, t] = np.einsum("bcn,bn->bc", h, C[:, t]) + (0 if D is None else D * u[:, t])
    if z is not None:
        y = y * z / (1 + np.exp(-z))
    return y, h


def test_reference_matches_numpy():
    for disc in ("euler", "zoh"):
        p = problem(seed=1)
        y, h = seqref.ref.selective_scan(**p, discretization=disc)
        yn, hn = numpy_selective_scan(**p, discretization=disc)
        assert y.shape == (2, 129, 5) and h.shape == (2, 5, 4)
        assert np.linalg.norm(y - yn) <= 1e-13 * np.linalg.norm(yn), disc
        assert np.linalg.norm(h - hn) <= 1e-13 * np.linalg.norm(hn), disc


def test_optional_arguments_default_to_mamba_off():
    p = problem(seed=2)
    for k in ("D", "z", "delta_bias", "h0"):
        p[k] = None
    p["delta_softplus"] = False
    p["delta"] = np.abs(p["delta"]) * 0.1
    y, h = seqref.ref.selective_scan(**p)
    yn, hn = numpy_selective_scan(**p)
    assert np.linalg.norm(y - yn) <= 1e-13 * np.linalg.norm(yn)


def test_cpu_matches_reference_at_every_chunking():
    p = problem(batch=1, T=2049, channels=17, dstate=16, seed=3)
    y_ref, h_ref = seqref.ref.selective_scan(**p)
    for chunk in (0, 1, 7, 128, 2049):
        y, h = seqref.cpu.selective_scan(**p, chunk=chunk)
        assert y.dtype == np.float64
        assert np.linalg.norm(y - y_ref) <= 1e-12 * np.linalg.norm(y_ref), chunk
        assert np.linalg.norm(h - h_ref) <= 1e-12 * np.linalg.norm(h_ref), chunk
    p32 = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else v) for k, v in p.items()}
    y32, h32 = seqref.cpu.selective_scan(**p32, chunk=64, threads=2)
    assert y32.dtype == np.float32 and h32.dtype == np.float32
    assert np.linalg.norm(y32 - y_ref) <= 1e-4 * np.linalg.norm(y_ref)


def test_split_and_carry_is_one_run():
    p = problem(batch=2, T=200, seed=4)
    y, h = seqref.ref.selective_scan(**p)
    first = {k: (v[:, :77] if k in ("u", "delta", "B", "C", "z") else v) for k, v in p.items()}
    second = {k: (v[:, 77:] if k in ("u", "delta", "B", "C", "z") else v) for k, v in p.items()}
    y1, h1 = seqref.ref.selective_scan(**first)
    second["h0"] = h1
    y2, h2 = seqref.ref.selective_scan(**second)
    assert np.array_equal(np.concatenate([y1, y2], axis=1), y) and np.array_equal(h2, h)


def test_zero_delta_gives_Du():
    p = problem(seed=5)
    p.update(delta=np.zeros_like(p["delta"]), delta_softplus=False, delta_bias=None, z=None, h0=None)
    y, h = seqref.cpu.selective_scan(**p)
    assert np.array_equal(y, p["D"] * p["u"]) and not h.any()


def test_bad_input_raises_value_error():
    p = problem(seed=6)
    cases = [
        dict(B=p["B"][:, :-1]),                       # wrong T
        dict(A=p["A"][:, :, None]),                   # wrong rank
        dict(D=np.ones(3)),                           # wrong channels
        dict(h0=np.zeros((2, 4, 5))),                 # transposed state
        dict(u=np.where(np.arange(5) == 2, np.nan, p["u"])),  # non-finite
        dict(discretization="bilinear"),
    ]
    for fn in (seqref.ref.selective_scan, seqref.cpu.selective_scan):
        for change in cases:
            q = dict(p, **change)
            try:
                fn(**q)
            except ValueError as e:
                assert "selective_scan" in str(e), str(e)
            else:
                raise AssertionError(f"{fn.__name__}: no ValueError for {list(change)}")
    try:
        seqref.cpu.selective_scan(**p, chunk=-1)
    except ValueError as e:
        assert "schedule.chunk" in str(e)
    else:
        raise AssertionError("no ValueError for chunk=-1")


def test_cuda_matches_cpu_when_available():
    if not seqref.cuda.available():
        print("  (skipped: no CUDA device)")
        return
    p = problem(batch=2, T=2049, channels=17, dstate=16, seed=7, dtype=np.float32)
    y_ref, h_ref = seqref.ref.selective_scan(**{k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v)
                                                  for k, v in p.items()})
    for chunk in (0, 256, 2048):
        y, h = seqref.cuda.selective_scan(**p, chunk=chunk)
        assert np.linalg.norm(y - y_ref) <= 1e-4 * np.linalg.norm(y_ref), chunk


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
