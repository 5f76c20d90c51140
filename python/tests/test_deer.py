"""Tests of the seqref Python bindings for rnn/deer (DEER, arXiv 2309.12252; quasi-DEER arXiv 2407.19115;
kexue.fm/archives/9783).

Runs under pytest, or as a script (what CTest does):

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_deer.py
"""

import sys

import numpy as np

import seqref


def problem(d=8, T=200, rho=0.9, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((d, d))
    A = rho * G / np.max(np.abs(np.linalg.eigvals(G)))
    u = rng.standard_normal((T, d))
    return A, u


def numpy_sequential(A, u, x0=None):
    x = np.zeros(A.shape[0]) if x0 is None else np.asarray(x0, dtype=float)
    out = []
    for ut in u:
        x = np.tanh(A @ x + ut)
        out.append(x)
    return np.array(out)


def test_reference_matches_numpy_loop():
    A, u = problem(5, 50, seed=1)
    x0 = np.linspace(-0.5, 0.5, 5)
    xs = seqref.ref.rnn_sequential(A, u, x0)
    assert np.allclose(xs, numpy_sequential(A, u, x0), rtol=0, atol=1e-14)
    for method in ("newton", "fixed_a", "quasi"):
        r = seqref.ref.deer(A, u, x0, method=method)
        assert r["converged"] and r["status"] == "converged", r["reason"]
        assert r["residual"] <= r["tolerance"]
        assert np.max(np.abs(r["states"] - xs)) < 1e-11, (method, r["reason"])


def test_newton_quadratic_and_exact_prefix():
    A, u = problem(8, 200, seed=2)
    xs = seqref.ref.rnn_sequential(A, u)
    r = seqref.ref.deer(A, u, method="newton", tol=1e-300, max_sweeps=12, keep_iterates=True)
    it = r["iterates"]
    assert it.shape == (13, 200, 8)
    errs = [np.max(np.abs(x - xs)) for x in it]
    # exact prefix: after k sweeps states 1..k are exact to rounding
    for k in range(1, 13):
        assert np.max(np.abs(it[k][:k] - xs[:k])) < 1e-13, k
    # superlinear near the solution: contraction ratios shrink while above rounding
    tail = [e for e in errs if 1e-13 < e < 0.5]
    ratios = [b / a for a, b in zip(tail, tail[1:])]
    assert len(ratios) >= 1 and all(r2 < r1 for r1, r2 in zip(ratios, ratios[1:])), errs


def test_cpu_matches_reference_both_dtypes():
    A, u = problem(4, 3000, seed=3)
    ref = seqref.ref.rnn_sequential(A, u)
    r64 = seqref.cpu.deer(A, u)
    assert r64["converged"], r64["reason"]
    assert r64["states"].dtype == np.float64
    assert np.max(np.abs(r64["states"] - ref)) < 1e-11
    r32 = seqref.cpu.deer(A.astype(np.float32), u.astype(np.float32), method="quasi")
    assert r32["converged"], r32["reason"]
    assert r32["states"].dtype == np.float32
    assert np.max(np.abs(r32["states"] - ref)) < 1e-4
    s32 = seqref.cpu.rnn_sequential(A.astype(np.float32), u.astype(np.float32))
    assert s32.dtype == np.float32 and np.max(np.abs(s32 - ref)) < 1e-4


def test_gru_reference():
    rng = np.random.default_rng(4)
    d, m, T = 3, 2, 40
    W = [rng.standard_normal((d, m)) / np.sqrt(m) for _ in range(3)]
    U = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3)]
    b = [0.5 * rng.standard_normal(d) for _ in range(3)]
    u = rng.standard_normal((T, m))
    sig = lambda v: 1 / (1 + np.exp(-v))
    x = np.zeros(d)
    want = []
    for ut in u:
        z = sig(W[0] @ ut + U[0] @ x + b[0])
        r = sig(W[1] @ ut + U[1] @ x + b[1])
        h = np.tanh(W[2] @ ut + U[2] @ (r * x) + b[2])
        x = (1 - z) * x + z * h
        want.append(x)
    want = np.array(want)
    got = seqref.ref.gru_sequential(*W, *U, *b, u)
    assert np.allclose(got, want, atol=1e-14)
    for method in ("newton", "fixed_a", "quasi"):
        res = seqref.ref.deer_gru(*W, *U, *b, u, method=method)
        assert res["converged"], res["reason"]
        assert np.max(np.abs(res["states"] - want)) < 1e-11


def test_gru_torch_convention_matches_torch_grucell():
    """convention='torch' is torch.nn.GRUCell (update gate z keeps the old state; reset applied to U_h x + b_hn);
    the default 'cho' (the post's) is not: its z admits the new candidate. Skipped when torch is not importable."""
    try:
        import torch
    except ImportError:
        print("skipped: torch is not importable (Debian: python3-torch)")
        return
    d, m, T = 5, 3, 60
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(m, d).double()
    with torch.no_grad():
        for p in cell.parameters():  # non-zero biases everywhere, so every bias is exercised
            p.uniform_(-0.8, 0.8)
    Wi = cell.weight_ih.detach().numpy()  # rows: r | z | n
    Wh = cell.weight_hh.detach().numpy()
    bi = cell.bias_ih.detach().numpy()
    bh = cell.bias_hh.detach().numpy()
    Wr, Wz, Wn = Wi[:d], Wi[d : 2 * d], Wi[2 * d :]
    Ur, Uz, Un = Wh[:d], Wh[d : 2 * d], Wh[2 * d :]
    b_r, b_z = bi[:d] + bh[:d], bi[d : 2 * d] + bh[d : 2 * d]
    b_in, b_hn = bi[2 * d :], bh[2 * d :]
    rng = np.random.default_rng(9)
    u = rng.standard_normal((T, m))
    x0 = 0.3 * rng.standard_normal(d)
    h = torch.tensor(x0[None, :])
    want = []
    with torch.no_grad():
        for ut in u:
            h = cell(torch.tensor(ut[None, :]), h)
            want.append(h[0].numpy().copy())
    want = np.array(want)
    args = (Wz, Wr, Wn, Uz, Ur, Un, b_z, b_r, b_in)
    got = seqref.ref.gru_sequential(*args, u, x0, convention="torch", bhn=b_hn)
    assert np.max(np.abs(got - want)) < 1e-13, np.max(np.abs(got - want))
    for method in ("newton", "quasi", "fixed_a", "post_fixed"):
        r = seqref.ref.deer_gru(*args, u, x0, method=method, convention="torch", bhn=b_hn)
        assert r["converged"], r["reason"]
        assert np.max(np.abs(r["states"] - want)) < 1e-12, (method, r["reason"])
    # the default convention is a different GRU on the same weights (non-vacuity)
    cho = seqref.ref.gru_sequential(*args, u, x0)
    assert np.max(np.abs(cho - want)) > 1e-2


def test_post_schemes_and_clip():
    A, u = problem(8, 200, seed=11)
    xs = seqref.ref.rnn_sequential(A, u)
    sweeps = {}
    for method in ("newton", "at_zero", "fixed_a", "post_fixed"):
        r = seqref.ref.deer(A, u, method=method)
        assert r["converged"], (method, r["reason"])
        assert np.max(np.abs(r["states"] - xs)) < 1e-11, method
        sweeps[method] = r["sweeps"]
    assert sweeps["newton"] <= sweeps["at_zero"] <= sweeps["fixed_a"] == sweeps["post_fixed"], sweeps
    c = seqref.cpu.deer(A, u, method="at_zero")
    assert c["converged"] and np.max(np.abs(c["states"] - xs)) < 1e-11, c["reason"]
    # float32 Newton on a strongly expanding cell overflows in its first sweep unless the iterates are clipped
    A50 = (50 * np.eye(2)).astype(np.float32)
    u50 = np.random.default_rng(5).standard_normal((400, 2)).astype(np.float32)
    plain = seqref.cpu.deer(A50, u50)
    assert plain["status"] == "non_finite", plain["reason"]
    clipped = seqref.cpu.deer(A50, u50, clip=1e8)
    assert clipped["converged"], clipped["reason"]
    want = seqref.ref.rnn_sequential(A50.astype(np.float64), u50.astype(np.float64))
    assert np.max(np.abs(clipped["states"] - want)) < 4e-6


def test_non_convergence_is_reported():
    A = 50 * np.eye(2)
    u = np.random.default_rng(5).standard_normal((400, 2))
    r = seqref.ref.deer(A, u, method="fixed_a")
    assert not r["converged"] and r["status"] == "non_finite", r["reason"]
    assert np.all(np.isfinite(r["states"])) and np.isfinite(r["residual"])
    c = seqref.cpu.deer(A, u, method="fixed_a")
    assert c["status"] == "non_finite"
    A, u = problem(8, 200, seed=6)
    r = seqref.ref.deer(A, u, method="fixed_a", max_sweeps=3)
    assert r["status"] == "max_sweeps" and not r["converged"]
    assert r["residual"] == np.min(r["residuals"])
    assert "not converged" in r["reason"]


def test_bad_input_raises_value_error():
    A, u = problem(3, 10, seed=7)
    gru_args = [np.zeros((3, 2))] * 3 + [np.zeros((3, 3))] * 3 + [np.zeros(3)] * 3
    u2 = np.zeros((10, 2))
    bad = [
        lambda: seqref.ref.deer(A, u, method="jacobi"),
        lambda: seqref.ref.deer(A[:, :2], u),
        lambda: seqref.ref.deer(A, u[:, :2]),
        lambda: seqref.ref.deer(A, np.where(np.arange(30).reshape(10, 3) == 4, np.nan, u)),
        lambda: seqref.ref.deer(A, u, x0=[0.0, np.inf, 0.0]),
        lambda: seqref.ref.deer(A, u, damping=0.0),
        lambda: seqref.cpu.deer(A, u, tol=-1.0),
        lambda: seqref.cpu.deer(A, u, initial_guess=np.zeros((9, 3))),
        lambda: seqref.cpu.rnn_sequential(A, u[:, :1]),
        lambda: seqref.ref.deer(A, np.zeros(3)),
        lambda: seqref.ref.deer(A, u, clip=-1.0),
        lambda: seqref.cpu.deer(A, u, clip=np.nan),
        lambda: seqref.ref.deer_gru(*gru_args, u2, convention="keras"),
        lambda: seqref.ref.deer_gru(*gru_args, u2, bhn=np.zeros(3)),
        lambda: seqref.ref.deer_gru(*gru_args, u2, convention="torch", bhn=np.zeros(2)),
    ]
    for i, f in enumerate(bad):
        try:
            f()
        except ValueError:
            continue
        raise AssertionError(f"case {i} did not raise ValueError")


def test_cuda_when_available():
    A, u = problem(4, 5000, seed=8)
    try:
        r = seqref.cuda.deer(A.astype(np.float32), u.astype(np.float32))
    except RuntimeError as e:  # built without CUDA or no device: documented behaviour
        assert "CUDA" in str(e) or "device" in str(e)
        return
    assert r["converged"], r["reason"]
    assert np.max(np.abs(r["states"] - seqref.ref.rnn_sequential(A, u))) < 1e-4


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
