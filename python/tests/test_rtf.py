"""Tests of the seqref Python bindings for ssm/rtf (arXiv 2405.06147; kexue.fm/archives/10180) and the FFTs.

Runs under pytest, or as a script (what CTest does):

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_rtf.py
"""

import sys

import numpy as np

import seqref
from script_runner import expect_error


def rel(x, r):
    x = np.asarray(x)
    x = x.astype(np.complex128) if np.iscomplexobj(x) else x.astype(np.float64)
    return float(np.linalg.norm(x - r) / np.linalg.norm(r))


def stable_a(poles):
    """1 + a_1 z + ... = prod (1 - p z): a = coefficients after the leading 1."""
    return np.real(np.poly(poles))[1:]


def test_fir():
    b = np.array([3.0, -1.0, 2.0, 0.5])
    k = seqref.ref.rtf_kernel(np.zeros(4), b, 16)
    assert np.allclose(k[:4], b, atol=1e-14) and np.allclose(k[4:], 0, atol=1e-14)


def test_kernel_equals_numpy_and_dense_powers():
    a = stable_a([0.9, -0.5, 0.3 + 0.4j, 0.3 - 0.4j])
    b = np.array([1.0, -0.3, 0.2, 0.7])
    L = 256
    k = seqref.ref.rtf_kernel(a, b, L)
    # NumPy evaluation of eq. (2)
    den = np.zeros(L); den[0] = 1; den[1:5] = a
    num = np.zeros(L); num[:4] = b
    expect = np.real(np.fft.ifft(np.fft.fft(num) / np.fft.fft(den)))
    assert rel(k, expect) < 1e-12
    A, B, C = seqref.ref.rtf_companion(a, b)
    h = seqref.ref.dense_kernel(A, B, C, L)  # the unaliased impulse response; alias ~0.9^256
    assert rel(k, h) < 1e-10
    delta = np.zeros(L); delta[0] = 1
    assert rel(seqref.ref.rtf_recurrence(a, b, delta), h) < 1e-12


def test_dense_conversion_and_similarity():
    rng = np.random.default_rng(0)
    N, L = 4, 64
    G = rng.standard_normal((N, N)); A = 0.9 * G / np.linalg.norm(G)
    B = rng.standard_normal((N, 1)); C = rng.standard_normal((1, N))
    a, b = seqref.ref.rtf_from_dense(A, B, C, L)
    assert rel(seqref.ref.rtf_kernel(a, b, L), seqref.ref.dense_kernel(A, B, C, L)) < 1e-9
    assert np.allclose(a, np.real(np.poly(A))[1:], atol=1e-12)  # characteristic polynomial
    T = np.eye(N) + 0.5 * rng.standard_normal((N, N)) / N
    Ti = np.linalg.inv(T)
    a2, b2 = seqref.ref.rtf_from_dense(Ti @ A @ T, Ti @ B, C @ T, L)
    assert rel(np.concatenate([a2, b2]), np.concatenate([a, b])) < 1e-10


def test_cpu_matches_reference():
    rng = np.random.default_rng(1)
    channels, N, L = 3, 4, 100
    a = np.stack([stable_a(rng.uniform(-0.8, 0.8, N)) for _ in range(channels)])
    b = rng.standard_normal((channels, N))
    k = seqref.cpu.rtf_kernel(a, b, L)
    for c in range(channels):
        assert rel(k[c], seqref.ref.rtf_kernel(a[c], b[c], L)) < 1e-12
    k32 = seqref.cpu.rtf_kernel(a.astype(np.float32), b.astype(np.float32), L)
    assert k32.dtype == np.float32 and rel(k32, k) < 1e-5
    u = rng.standard_normal((channels, L))
    y = seqref.cpu.causal_conv(k, u)
    for c in range(channels):
        assert rel(y[c], np.convolve(k[c], u[c])[:L]) < 1e-12
    x = rng.standard_normal((2, 97)) + 1j * rng.standard_normal((2, 97))
    assert rel(seqref.cpu.dft(x), np.fft.fft(x, axis=1)) < 1e-13


def test_bad_input_raises_value_error():
    for call in (lambda: seqref.ref.rtf_kernel([0.1], [1.0, 2.0], 8),
                 lambda: seqref.ref.rtf_kernel([-1.0], [1.0], 8),  # 1 - z vanishes at z = 1
                 lambda: seqref.ref.rtf_kernel([0.1], [np.nan], 8),
                 lambda: seqref.cpu.rtf_kernel(np.zeros((2, 3)), np.zeros((2, 4)), 8),
                 lambda: seqref.cpu.causal_conv(np.zeros((1, 0)), np.zeros((1, 0)))):
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("no ValueError")


def test_dense_conversion_past_its_accurate_range_is_refused():
    # N = 24 and 48: the former Faddeev-LeVerrier route returned kernels off by ~1e4 and ~1e24 without a word;
    # now N = 24 is accurate and N = 48 (past the measured range, N <= 40 in double) is refused.
    rng = np.random.default_rng(3)
    for N in (24,):
        D = np.zeros((N, N))
        for i in range(0, N, 2):
            r, th = rng.uniform(0.5, 0.97), rng.uniform(0, np.pi)
            D[i:i + 2, i:i + 2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        G = rng.standard_normal((N, N))
        T = np.eye(N) + 0.5 * G / np.linalg.norm(G)
        A, B, C = np.linalg.solve(T, D @ T), rng.standard_normal((N, 1)), rng.standard_normal((1, N))
        L = 256
        a, b = seqref.ref.rtf_from_dense(A, B, C, L)
        err = rel(seqref.ref.rtf_kernel(a, b, L), seqref.ref.dense_kernel(A, B, C, L))
        print(f"rtf_from_dense N={N}: kernel error {err:.2e}")
        assert err < 1e-11
    expect_error(ValueError, seqref.ref.rtf_from_dense, np.eye(48) * 0.5, np.ones((48, 1)), np.ones((1, 48)),
                 must_mention=("seqref::ref::rtf_from_dense", "N = 48"))


def test_wrong_types_raise_type_error():
    expect_error(TypeError, seqref.ref.rtf_from_dense, np.eye(2) * 0.5, np.ones((2, 1)), np.ones((1, 2)), L="8")
    expect_error(TypeError, seqref.ref.rtf_from_dense, np.eye(2) * 0.5, np.ones((2, 1)), np.ones((1, 2)), L=8.5)
    expect_error(TypeError, seqref.ref.rtf_kernel, [0.1], [1.0], "8")
    expect_error(TypeError, seqref.ref.recover_c_bar, np.eye(2) * 0.5, np.ones((2, 1)), np.ones((1, 2)), L="8")


def test_causal_conv_refuses_non_finite_input():
    # one NaN policy: the reference and the cpu backend both refuse, naming the argument
    k, u = np.ones(6), np.ones(6)
    for bad in (np.nan, np.inf, -np.inf):
        u2 = u.copy()
        u2[4] = bad
        expect_error(ValueError, seqref.ref.causal_conv, k, u2, must_mention=("causal_conv", "u has a non-finite"))
        expect_error(ValueError, seqref.ref.causal_conv, u2, k, must_mention=("kernel has a non-finite",))
        expect_error(ValueError, seqref.cpu.causal_conv, k[None, :], u2[None, :], must_mention=("u has a non-finite",))


def test_recover_c_bar_and_root_lemma():
    # the post's C-bar = C-tilde (I - A^L)^-1 on the companion realization reproduces the L-point kernel
    a, b = stable_a([0.9, -0.5, 0.3]), np.array([1.0, 0.5, -0.2])
    L = 16
    A, B, Ct = seqref.ref.rtf_companion(a, b)
    A2, B2, Cbar = seqref.ref.recover_c_bar(A, B, Ct, L)
    assert rel(seqref.ref.dense_kernel(A2, B2, Cbar, L), seqref.ref.rtf_kernel(a, b, L)) < 1e-13
    assert seqref.ref.roots_inside_unit_circle([0.3, -0.2, 0.45])  # sum |a| = 0.95 < 1
    assert not seqref.ref.roots_inside_unit_circle([0.0, -1.01])


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
