"""Tests of the seqref Python bindings for ssm/hippo (kexue.fm/archives/10114, 10137; arXiv 2008.07669).

Runs as a script (what CTest does): PYTHONPATH=build/python /usr/bin/python3 python/tests/test_hippo.py
"""

import math
import sys

import numpy as np

import seqref


def test_legs_paper_transition():
    A, B = seqref.ref.hippo_transition("legs", 4, "paper")
    n = np.arange(4)
    v = np.sqrt(2 * n + 1)
    expect = np.diag(n.astype(float)) - np.tril(np.outer(v, v))
    assert np.allclose(A, expect, rtol=0, atol=1e-14)
    assert np.allclose(B[:, 0], v, rtol=0, atol=1e-15)
    assert np.array_equal(np.diag(A), -(n + 1.0))


def test_legt_conventions_are_rescalings():
    N, th = 7, 0.6
    Ap, Bp = seqref.ref.hippo_transition("legt", N, "post", th)
    Al, Bl = seqref.ref.hippo_transition("legt", N, "lmu", th)
    n = np.arange(N)
    D = np.diag((-1.0) ** n * np.sqrt(2 * n + 1) / math.sqrt(2))
    assert np.allclose(D @ Ap @ np.linalg.inv(D), Al, rtol=1e-13, atol=1e-12)
    assert np.allclose(D @ Bp, Bl, rtol=1e-13, atol=1e-12)


def test_fast_solve_and_matvec():
    rng = np.random.default_rng(0)
    N = 33
    A, _ = seqref.ref.hippo_transition("legs", N, "paper")
    x = rng.standard_normal(N)
    assert np.linalg.norm(seqref.ref.legs_matvec(x) - A @ x) <= 1e-12 * np.linalg.norm(A @ x)
    z = seqref.ref.legs_solve(0.25, x)
    assert np.linalg.norm(z - np.linalg.solve(np.eye(N) - 0.25 * A, x)) <= 1e-12 * np.linalg.norm(z)


def test_cpu_matches_reference():
    rng = np.random.default_rng(1)
    u = rng.standard_normal((5, 300))
    out = seqref.cpu.hippo_legs_online(u, 16)
    assert out.shape == (5, 300, 16)
    for c in range(5):
        ref = seqref.ref.legs_online(u[c], 16)
        assert np.linalg.norm(out[c] - ref) <= 1e-12 * np.linalg.norm(ref)
    out32 = seqref.cpu.hippo_legs_online(u.astype(np.float32), 16)
    assert out32.dtype == np.float32
    assert np.linalg.norm(out32 - out) <= 1e-4 * np.linalg.norm(out)


def test_timescale_invariance():
    u = np.random.default_rng(2).standard_normal(100)
    a = seqref.ref.legs_online(u, 8, dense=True, dt=1.0)
    b = seqref.ref.legs_online(u, 8, dense=True, dt=0.01)
    assert np.linalg.norm(a - b) <= 1e-12 * np.linalg.norm(a)


def test_bad_input_raises_value_error():
    for call in (lambda: seqref.ref.hippo_transition("legs", 0, "paper"),
                 lambda: seqref.ref.hippo_transition("legs", 4, "lmu"),
                 lambda: seqref.ref.hippo_transition("nope", 4, "paper"),
                 lambda: seqref.ref.legs_online(np.array([1.0, np.nan]), 4),
                 lambda: seqref.cpu.hippo_legs_online(np.zeros((2, 3)), 0),
                 lambda: seqref.cpu.hippo_legs_online(np.array([[1.0, np.inf]]), 3)):
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("bad input accepted")


def test_legs_online_rejects_bad_dt_on_every_path():
    # the O(N) path (dense=False) does not use dt (timescale invariance), but a NaN or negative step is still refused
    from script_runner import expect_error

    u = np.ones(5)
    for dense in (False, True):
        for dt in (float("nan"), -1.0, 0.0, float("inf")):
            expect_error(ValueError, seqref.ref.legs_online, u, 4, dt=dt, dense=dense, must_mention=("dt",))


def test_cuda_legs_online_names_the_dtype_it_needs():
    # float64 is refused before any device check or launch, with or without a GPU, saying float32 is needed
    from script_runner import expect_error

    u = np.zeros((2, 8))  # float64
    expect_error(ValueError, seqref.cuda.hippo_legs_online, u, 4,
                 must_mention=("seqref.cuda.hippo_legs_online", "float32", "float64"))


def test_lti_online_rejects_non_finite_system():
    from script_runner import expect_error

    Ab, Bb = np.eye(3) * 0.5, np.ones((3, 1))
    u = np.ones(4)
    assert np.all(np.isfinite(seqref.ref.lti_online(Ab, Bb, u)))
    for name in ("Abar", "Bbar"):
        A, B = Ab.copy(), Bb.copy()
        (A if name == "Abar" else B)[1, 0] = np.nan
        expect_error(ValueError, seqref.ref.lti_online, A, B, u, must_mention=(name, "non-finite"))
    A = Ab.copy()
    A[0, 2] = np.inf
    expect_error(ValueError, seqref.ref.lti_online, A, Bb, u, must_mention=("Abar", "(0, 2)"))


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
