"""seqref.testing judging a user's own S4D convolution kernel (ssm/s4: the diagonal SSM with ZOH, arXiv 2206.11893).

The candidate is written here the way a user would (the few lines of state-spaces' standalone s4d.py, in torch):
K = 2 Re einsum(C (exp(dt A) - 1)/A, exp(dt A arange(L))). Complex inputs go to the judge as real arrays with a
trailing (re, im) dimension, torch.view_as_real. Fixed seeds; every verdict is printed. Runs as a script:

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_s4.py
"""

import math
import sys
import time

import numpy as np
import torch

import seqref  # noqa: F401  (registers seqref.testing)
import seqref.testing as st
from script_runner import expect_error, run

METHOD = "ssm/s4"


def params(H=8, N=32, seed=0, dt_min=1e-3, dt_max=1e-1):
    """s4d.py's initialisation: log_dt uniform in [log dt_min, log dt_max], S4D-Lin modes -1/2 + i pi n, C ~ CN(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    log_dt = torch.rand(H, generator=g, dtype=torch.float64) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
    C = torch.complex(torch.randn(H, N, generator=g, dtype=torch.float64),
                      torch.randn(H, N, generator=g, dtype=torch.float64)) / math.sqrt(2)
    A_re = -0.5 * torch.ones(H, N, dtype=torch.float64)
    A_im = math.pi * torch.arange(N, dtype=torch.float64).repeat(H, 1)
    print(f"  params H={H} N={N} seed={seed} dt in [{dt_min}, {dt_max}]")
    return log_dt, C, A_re, A_im


def s4d_kernel(log_dt, C, A_re, A_im, L, dtype=torch.float32, factor=2.0, discretization="zoh", shift=0):
    """The user's kernel (s4d.py): ZOH, B = 1 folded into C. `factor`, `discretization` and `shift` make the bugs."""
    cdtype = torch.complex64 if dtype == torch.float32 else torch.complex128
    dt = torch.exp(log_dt.to(dtype))
    A = torch.complex(A_re.to(dtype), A_im.to(dtype))
    C = C.to(cdtype)
    dtA = A * dt[:, None]
    powers = dtA[..., None] * (torch.arange(L, dtype=dtype) + shift)
    if discretization == "zoh":
        C = C * (torch.exp(dtA) - 1.0) / A
    else:  # Euler's B-bar = dt B
        C = C * dt[:, None]
    K = factor * torch.einsum("hn,hnl->hl", C, torch.exp(powers)).real
    return K, dt


def inputs(log_dt, C, A_re, A_im, dtype=torch.float32):
    """The judge's inputs in the candidate's dtype: C and Lambda as view_as_real, dt [H]."""
    cdtype = torch.complex64 if dtype != torch.float64 else torch.complex128
    return dict(C=torch.view_as_real(C.to(cdtype)).to(dtype), Lambda=torch.stack([A_re, A_im], -1).to(dtype),
                dt=torch.exp(log_dt.to(torch.float32 if dtype != torch.float64 else dtype)).to(dtype))


def show(label, v):
    print(f"  {label}: {v.summary()}")
    return v


# ---- correct candidates ---------------------------------------------------------------------------------------


def test_float32_passes():
    for seed, (lo, hi) in ((0, (1e-3, 1e-1)), (1, (1e-2, 1.0))):
        p = params(seed=seed, dt_min=lo, dt_max=hi)
        K, dt = s4d_kernel(*p, L=2048)
        kw = inputs(*p)
        assert torch.equal(kw["dt"], dt)
        v = show("s4d.py kernel, Lambda given", st.check(METHOD, K, **kw, L=2048))
        assert v.passed and v.error_u < 100 and v.shape == (8, 2048) and v.dtype == "float32", v.report()
        # the same modes named by their initialisation (seqref.ref.s4d_kernel's init)
        v = show("s4d.py kernel, init='lin'", st.check(METHOD, K, C=kw["C"], init="lin", dt=dt, L=2048))
        assert v.passed and v.error_u < 100, v.report()


def test_single_channel_numpy_passes():
    # one channel, dt a number, B given: K_j = 2 Re sum_n C_n B_n (exp(dt l_n) - 1)/l_n exp(dt l_n)^j in NumPy
    rng = np.random.default_rng(5)
    N, L, dt = 16, 500, 0.05
    lam = (-rng.uniform(0.1, 1.0, N) + 1j * rng.uniform(0, 30, N)).astype(np.complex64)
    B = (rng.standard_normal(N) + 1j * rng.standard_normal(N)).astype(np.complex64)
    C = (rng.standard_normal(N) + 1j * rng.standard_normal(N)).astype(np.complex64)
    z = np.exp(np.float32(dt) * lam)
    w = C * B * (z - 1) / lam
    K = 2 * np.real(w[:, None] * z[:, None] ** np.arange(L, dtype=np.float32)[None, :]).sum(0)
    as_pairs = lambda x: np.stack([x.real, x.imag], -1).astype(np.float32)  # noqa: E731
    v = show("NumPy, one channel", st.check(METHOD, K.astype(np.float32), C=as_pairs(C), B=as_pairs(B),
                                             Lambda=as_pairs(lam), dt=dt, L=L))
    assert v.passed and v.error_u < 100 and v.shape == (500,), v.report()


def test_float16_and_bfloat16_pass():
    # no complex16 kernels on the cpu: the user computes in float32 from the 16-bit parameters and rounds
    p = params(seed=2)
    for dtype in (torch.float16, torch.bfloat16):
        kw = inputs(*p, dtype=torch.float32)
        kw16 = {k: x.to(dtype) for k, x in kw.items()}
        C32 = torch.view_as_complex(kw16["C"].float().contiguous()).to(torch.complex128)
        lam = kw16["Lambda"].double()
        K, _ = s4d_kernel(torch.log(kw16["dt"].double()), C32, lam[..., 0], lam[..., 1], L=1024)
        v = show(f"float32 kernel rounded to {dtype}", st.check(METHOD, K.to(dtype), **kw16, L=1024))
        assert v.passed and v.error_u < 4, v.report()
        assert "s4d_kernel_real" in v.yardstick, v.yardstick


def test_float64_passes():
    p = params(seed=3)
    K, _ = s4d_kernel(*p, L=1024, dtype=torch.float64)
    v = show("s4d.py kernel in float64", st.check(METHOD, K, **inputs(*p, dtype=torch.float64), L=1024))
    assert v.passed and v.error_u < 100 and "long double" in v.truth, v.report()


# ---- buggy candidates -----------------------------------------------------------------------------------------


def test_user_mistakes_fail():
    p = params(seed=4)
    kw = inputs(*p)
    cases = (
        ("conjugate pair's factor 2 missing", dict(factor=1.0)),
        ("Euler's B-bar = dt B instead of ZOH's", dict(discretization="euler")),
        ("off by one: exp(dt A (j + 1))", dict(shift=1)),
    )
    for label, bug in cases:
        K, _ = s4d_kernel(*p, L=1024, **bug)
        v = show(label, st.check(METHOD, K, **kw, L=1024))
        assert not v.passed and v.error_u > 1e3, v.report()
    K, _ = s4d_kernel(*p, L=1024)
    v = show("kernel reversed in time", st.check(METHOD, torch.flip(K, [-1]), **kw, L=1024))
    assert not v.passed and v.error_u > 1e5, v.report()


def test_nan_is_a_failure_with_its_index():
    p = params(seed=0)
    K, _ = s4d_kernel(*p, L=256)
    K[3, 100] = float("nan")
    v = show("NaN at [3, 100]", st.check(METHOD, K, **inputs(*p), L=256))
    assert not v.passed and v.nonfinite == 1 and v.first_nonfinite_index == (3, 100), v.report()


# ---- bad input ------------------------------------------------------------------------------------------------


def test_bad_input_raises_value_error():
    p = params(H=4, N=8, seed=0)
    K, dt = s4d_kernel(*p, L=64)
    kw = inputs(*p)
    expect_error(ValueError, st.check, METHOD, K[:, :63], **kw, L=64, must_mention=("candidate", "[4, 63]", "[4, 64]"))
    expect_error(ValueError, st.check, METHOD, K, **kw, L=64, N=8, must_mention=("N",))
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"], Lambda=kw["Lambda"][:, :7], dt=dt, L=64,
                 must_mention=("Lambda", "[4, 7, 2]"))
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"], Lambda=kw["Lambda"], dt=dt[:3], L=64, must_mention=("dt",))
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"], dt=dt, L=64, must_mention=("init", "Lambda"))
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"], init="legs", dt=dt, L=64, must_mention=("init",))
    expect_error(ValueError, st.check, METHOD, K, **kw, must_mention=("L",))
    expect_error(ValueError, st.check, METHOD, K, **kw, L=64.5, must_mention=("L",))
    # a complex array instead of its view_as_real: refused by seqref.testing, with the hint
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"][..., 0].numpy() + 1j, Lambda=kw["Lambda"], dt=dt, L=64,
                 must_mention=("C", "complex", "view_as_real"))
    bad = kw["Lambda"].clone()
    bad[0, 0, 0] = 0.0
    bad[0, 0, 1] = 0.0
    expect_error(ValueError, st.check, METHOD, K, C=kw["C"], Lambda=bad, dt=dt, L=64, must_mention=("Lambda",))
    print("  bad inputs: ValueError naming the argument")


# ---- sampling and a large case --------------------------------------------------------------------------------


def test_sampling_still_passes_and_finds_the_bad_channel():
    p = params(H=100, seed=6)  # 100 > the 64 units the yardstick always runs
    K, _ = s4d_kernel(*p, L=1024)
    kw = inputs(*p)
    v = show("64 channels, sampled", st.check(METHOD, K, **kw, L=1024, yardstick_work=3e5))
    assert v.passed and v.error_u < 100 and "of 100 channels" in v.yardstick, v.report()
    K2, _ = s4d_kernel(*p, L=1024, factor=1.0)
    K = K.clone()
    K[45] = K2[45]
    v = show("channel 45 without its factor 2, sampled", st.check(METHOD, K, **kw, L=1024, yardstick_work=3e5))
    assert not v.passed and v.worst_index[0] == 45, v.report()


def test_large_case_timing():
    p = params(H=256, N=32, seed=7)
    K, _ = s4d_kernel(*p, L=8192)
    t0 = time.time()
    v = show("[256, 8192] float32", st.check(METHOD, K, **inputs(*p), L=8192))
    print(f"  large case: check took {time.time() - t0:.2f} s; yardstick: {v.yardstick[-60:]}")
    assert v.passed, v.report()


if __name__ == "__main__":
    sys.exit(run(globals()))
