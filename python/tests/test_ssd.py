"""Tests of the seqref Python bindings for ssm/ssd (Mamba-2 state space duality, arXiv 2405.21060).

Runs as a script (what CTest does): PYTHONPATH=build/python /usr/bin/python3 python/tests/test_ssd.py
"""

import sys

import numpy as np

import seqref


def problem(batch=2, T=70, heads=4, P=3, groups=2, N=5, seed=0, h0=True, amax=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, T, heads, P))
    A = -amax * rng.random((batch, T, heads))
    B = rng.standard_normal((batch, T, groups, N))
    C = rng.standard_normal((batch, T, groups, N))
    H0 = rng.standard_normal((batch, heads, P, N)) if h0 else None
    return X, A, B, C, H0


def numpy_ssd(X, A, B, C, H0):
    """The recurrence h_t = exp(a_t) h_{t-1} + x_t B_t^T, y_t = h_t C_t in NumPy (heads share groups)."""
    batch, T, heads, P = X.shape
    groups, N = B.shape[2], B.shape[3]
    rep = heads // groups
    Y = np.zeros_like(X)
    H = np.zeros((batch, heads, P, N)) if H0 is None else H0.copy()
    for t in range(T):
        Bt = np.repeat(B[:, t], rep, axis=1)  # [batch, heads, N]
        Ct = np.repeat(C[:, t], rep, axis=1)
        H = np.exp(A[:, t])[:, :, None, None] * H + X[:, t][:, :, :, None] * Bt[:, :, None, :]
        Y[:, t] = np.einsum("bhpn,bhn->bhp", H, Ct)
    return Y, H


def test_forms_match_numpy():
    X, A, B, C, H0 = problem()
    Yn, Hn = numpy_ssd(X, A, B, C, H0)
    for form, chunk in [("recurrence", 1), ("quadratic", 1), ("chunked", 1), ("chunked", 7), ("chunked", 64),
                        ("chunked", 100)]:
        Y, H = seqref.ref.ssd(X, A, B, C, H0, form=form, chunk=chunk)
        assert Y.shape == X.shape and H.shape == Hn.shape
        assert np.linalg.norm(Y - Yn) <= 1e-12 * np.linalg.norm(Yn), (form, chunk)
        assert np.linalg.norm(H - Hn) <= 1e-12 * np.linalg.norm(Hn), (form, chunk)


def test_cpu_matches_reference():
    X, A, B, C, H0 = problem(T=129, seed=1)
    Yr, Hr = seqref.ref.ssd(X, A, B, C, H0, form="recurrence")
    for chunk in [0, 1, 3, 64, 200]:
        Y, H = seqref.cpu.ssd(X, A, B, C, H0, chunk=chunk)
        assert Y.dtype == np.float64
        assert np.linalg.norm(Y - Yr) <= 1e-12 * np.linalg.norm(Yr)
        assert np.linalg.norm(H - Hr) <= 1e-12 * np.linalg.norm(Hr)
    f = lambda a: a.astype(np.float32)
    Y32, H32 = seqref.cpu.ssd(f(X), f(A), f(B), f(C), f(H0))
    assert Y32.dtype == np.float32
    assert np.linalg.norm(Y32 - Yr) <= 1e-5 * np.linalg.norm(Yr)


def test_split_carries_state():
    X, A, B, C, H0 = problem(T=100, seed=2)
    Y, H = seqref.cpu.ssd(X, A, B, C, H0, chunk=16)
    Y1, H1 = seqref.cpu.ssd(X[:, :37], A[:, :37], B[:, :37], C[:, :37], H0, chunk=16)
    Y2, H2 = seqref.cpu.ssd(X[:, 37:], A[:, 37:], B[:, 37:], C[:, 37:], H1, chunk=16)
    assert np.linalg.norm(np.concatenate([Y1, Y2], axis=1) - Y) <= 1e-13 * np.linalg.norm(Y)
    assert np.linalg.norm(H2 - H) <= 1e-13 * np.linalg.norm(H)


def test_cpu_accepts_nested_lists_like_the_reference():
    # every binding converts through numpy_convert.hpp: nested Python lists (ints or floats) are arrays
    X, A, B, C, H0 = problem(batch=1, T=7, heads=2, P=3, groups=1, N=4, seed=2)
    lists = [v.tolist() for v in (X, A, B, C, H0)]
    Yr, Hr = seqref.ref.ssd(X, A, B, C, H0)
    for fn in (seqref.cpu.ssd, seqref.ref.ssd):
        Y, H = fn(*lists)
        assert Y.dtype == np.float64 and Y.shape == Yr.shape and H.shape == Hr.shape
        assert np.linalg.norm(Y - Yr) <= 1e-12 * np.linalg.norm(Yr)
        assert np.linalg.norm(H - Hr) <= 1e-12 * np.linalg.norm(Hr)
    ints = ([[[[1, 2], [3, 4]]]], [[[-1, 0]]], [[[[1, 0]]]], [[[[0, 1]]]])  # integer nested lists
    Yi, _ = seqref.cpu.ssd(*ints)
    Yf, _ = seqref.ref.ssd(*[np.asarray(v, dtype=np.float64) for v in ints])
    assert np.array_equal(Yi, Yf)


def test_segsum_stable_vs_naive():
    a = -np.random.default_rng(3).random(20)
    s, n = seqref.ref.segsum(a), seqref.ref.segsum(a, stable=False)
    low = np.tril_indices(20)
    assert np.allclose(s[low], n[low], rtol=0, atol=1e-13)
    assert np.all(s[low] <= 0) and np.all(np.isneginf(s[np.triu_indices(20, 1)]))
    big = np.array([-1e308, -1e308, 0.5, -0.25])
    s, n = seqref.ref.segsum(big), seqref.ref.segsum(big, stable=False)
    assert np.isnan(n[2, 1]) and s[2, 1] == 0.5 and np.all(np.isfinite(s[low[0][low[0] < 4], low[1][low[0] < 4]]))


def test_bad_input_raises_value_error():
    X, A, B, C, H0 = problem()
    bad = [
        lambda: seqref.ref.ssd(X[0], A, B, C),  # 3-D X
        lambda: seqref.ref.ssd(X, A[:, :5], B, C),  # A's T mismatched
        lambda: seqref.cpu.ssd(X, A, B[:, :, :1].repeat(3, axis=2), C[:, :, :1].repeat(3, axis=2)),  # 3 !| 4
        lambda: seqref.ref.ssd(X, A, B, C, form="nope"),
        lambda: seqref.ref.ssd(X, A, B, C, chunk=0),
        lambda: seqref.cpu.ssd(np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), A, B, C),
        lambda: seqref.cpu.ssd(X, A, B, C, H0[:, :, :1]),
        lambda: seqref.ref.segsum(np.array([1.0, np.inf])),
    ]
    for i, f in enumerate(bad):
        try:
            f()
        except ValueError:
            continue
        raise AssertionError(f"case {i} did not raise ValueError")


def test_cuda_if_available():
    X, A, B, C, H0 = problem(T=129, seed=4)
    f = lambda a: a.astype(np.float32)
    try:
        Y, H = seqref.cuda.ssd(f(X), f(A), f(B), f(C), f(H0))
    except RuntimeError as e:  # not built, or no device
        print(f"  (cuda skipped: {e})")
        return
    Yr, _ = seqref.ref.ssd(X, A, B, C, H0, form="recurrence")
    assert np.linalg.norm(Y - Yr) <= 1e-5 * np.linalg.norm(Yr)


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
