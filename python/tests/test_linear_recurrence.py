"""Tests of the seqref Python bindings for the scan engine (x_t = J_t x_{t-1} + b_t).

Runs under pytest, or as a script (what CTest does):

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_linear_recurrence.py
"""

import sys

import numpy as np

import seqref


def numpy_loop(J, b, x0):
    B, T, D = b.shape
    x = np.zeros_like(b, dtype=np.float64)
    state = np.zeros((B, D)) if x0 is None else x0.astype(np.float64).copy()
    for t in range(T):
        if J.ndim == 2:
            state = J[:, t, None] * state + b[:, t]
        elif J.ndim == 3:
            state = J[:, t] * state + b[:, t]
        else:
            state = np.einsum("bij,bj->bi", J[:, t], state) + b[:, t]
        x[:, t] = state
    return x


def problems(rng):
    B, T, D = 2, 300, 3
    b = rng.standard_normal((B, T, D))
    x0 = rng.standard_normal((B, D))
    yield rng.uniform(-1, 1, (B, T)), b, x0
    yield rng.uniform(-1, 1, (B, T, D)), b, None
    yield 0.5 * rng.standard_normal((B, T, D, D)) / D, b, x0


def test_reference_and_cpu_match_a_numpy_loop():
    rng = np.random.default_rng(1)
    for J, b, x0 in problems(rng):
        want = numpy_loop(J, b, x0)
        x, xf = seqref.ref.linear_recurrence(J, b, x0)
        assert np.allclose(x, want, rtol=1e-12, atol=1e-12)
        assert np.array_equal(xf, x[:, -1])
        for chunk in (0, 1, 7, 64, 1000):
            xc, xfc = seqref.cpu.linear_recurrence(J, b, x0, chunk=chunk)
            assert np.allclose(xc, want, rtol=1e-11, atol=1e-11), chunk
            assert np.array_equal(xfc, xc[:, -1])
        x32, _ = seqref.cpu.linear_recurrence(J.astype(np.float32), b.astype(np.float32),
                                              None if x0 is None else x0.astype(np.float32))
        assert x32.dtype == np.float32
        assert np.allclose(x32, want, rtol=1e-4, atol=1e-4)


def test_bad_input_raises_value_error():
    b = np.zeros((2, 5, 3))
    cases = [
        (np.zeros((2, 4)), b, None, "J must have shape [B=2, T=5] (fixed by the other arguments); got shape (2, 4)"),
        (np.zeros((2, 5, 3, 2)), b, None, "J must have shape [B=2, T=5, D=3, D=3]"),
        (np.zeros((2,)), b, None, "J must be"),
        (np.zeros((2, 5)), np.zeros((2, 5)), None, "b must have 3 dimensions [B, T, D]"),
        (np.zeros((2, 5)), b, np.zeros((3, 3)), "x0 must have shape [B=2, D=3]"),
        (np.full((2, 5), np.nan), b, None, "non-finite"),
    ]
    for fn in (seqref.ref.linear_recurrence, seqref.cpu.linear_recurrence):
        for J, bb, x0, needle in cases:
            try:
                fn(J, bb, x0)
            except ValueError as e:
                assert needle in str(e), (needle, str(e))
            else:
                raise AssertionError("no ValueError for " + needle)


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
