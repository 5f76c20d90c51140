"""ssm/s4 through the Python bindings: DPLR kernel = Krylov kernel, the naive eigendecomposition degrades with N
while NPLR does not, Cauchy kernel (ref and cpu) against NumPy, S4D kernel against its closed form, bad input.
Plain script: exits non-zero on failure."""
import os
import sys

if "SEQREF_PYTHON_PATH" in os.environ:  # otherwise PYTHONPATH=<build>/python (as CTest sets it)
    sys.path.insert(0, os.environ["SEQREF_PYTHON_PATH"])
import numpy as np  # noqa: E402
import seqref  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    for N, L in [(8, 64), (16, 255), (32, 256)]:
        krylov, dplr = seqref.ref.s4_legs_kernels(rng.standard_normal(N), L, 0.05)
        err = np.linalg.norm(dplr - krylov) / np.linalg.norm(krylov)
        assert err < 1e-12, (N, L, err)
    naive4, nplr4 = seqref.ref.s4_kernel_errors(rng.standard_normal(4), 128, 0.05)
    naive32, nplr32 = seqref.ref.s4_kernel_errors(rng.standard_normal(32), 128, 0.05)
    assert naive32 > 1e6 * naive4 and nplr32 < 1e-12, (naive4, naive32, nplr32)

    w = rng.standard_normal(16) + 1j * rng.standard_normal(16)
    lam = -0.5 + 1j * np.arange(16.0)
    z = 0.3 + 1j * np.linspace(-5, 5, 33)
    expect = (w[None, :] / (z[:, None] - lam[None, :])).sum(axis=1)
    got = seqref.ref.cauchy_kernel(w, lam, z)
    assert np.linalg.norm(got - expect) <= 1e-13 * np.linalg.norm(expect)
    got32 = seqref.cpu.cauchy_kernel(np.stack([w, w]), np.stack([lam, lam]), z)
    assert got32.dtype == np.complex64 and got32.shape == (2, 33)
    assert np.linalg.norm(got32[1] - expect) <= 1e-5 * np.linalg.norm(expect)

    C = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    lam = -0.5 + 1j * np.pi * np.arange(4)
    dt, L = 0.01, 50
    zbar = np.exp(dt * lam)
    expect = 2 * np.real((C * (zbar - 1) / lam)[None, :] * zbar[None, :] ** np.arange(L)[:, None]).sum(axis=1)
    got = seqref.ref.s4d_kernel("lin", C, dt, L)
    assert np.linalg.norm(got - expect) <= 1e-12 * np.linalg.norm(expect)

    # a nonzero C next to zeros is a defined, finite error
    tiny = np.zeros(8)
    tiny[7] = 1e-300
    e_naive, e_nplr = seqref.ref.s4_kernel_errors(tiny, 32, 0.05)
    assert np.isfinite(e_naive) and np.isfinite(e_nplr) and e_nplr < 1e-12, (e_naive, e_nplr)

    # S4D-Inv: len(C) modes = the S4D paper's state size 2 len(C); its top frequency (2N/pi)(2N - 1) is resolved
    N, dt, L = 4, 0.01, 64
    C = np.ones(N, dtype=complex)
    lam = -0.5 + 1j * (2 * N / np.pi) * (2 * N / (2 * np.arange(N) + 1) - 1)
    zbar = np.exp(dt * lam)
    expect = 2 * np.real((C * (zbar - 1) / lam)[None, :] * zbar[None, :] ** np.arange(L)[:, None]).sum(axis=1)
    got = seqref.ref.s4d_kernel("inv", C, dt, L)
    assert np.linalg.norm(got - expect) <= 1e-12 * np.linalg.norm(expect)

    for bad in [lambda: seqref.ref.s4_legs_kernels(np.ones(4), 0, 0.1),
                lambda: seqref.ref.s4_legs_kernels(np.ones(4), 8, float("nan")),
                lambda: seqref.ref.cauchy_kernel(np.ones(2), np.ones(3), np.ones(1)),
                # a zero kernel has no relative error: refused, never (nan, nan)
                lambda: seqref.ref.s4_kernel_errors(np.zeros(4), 16, 0.05),
                lambda: seqref.ref.s4_kernel_errors(np.zeros(1), 1, 0.05),
                lambda: seqref.cpu.cauchy_kernel(np.ones((2, 3)), np.ones((2, 4)), np.ones(1))]:
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("bad input did not raise ValueError")
    print("test_s4: ok")


if __name__ == "__main__":
    main()
