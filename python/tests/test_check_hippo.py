"""seqref.testing judging a user's own HiPPO-LegS online memory (ssm/hippo; kexue.fm/archives/10137).

The op: x_1 = B_0 u_0 e_0, x_{k+1} = (I - A/(2(k+1)))^-1 [(I + A/(2k)) x_k + B u_k / k] (bilinear, the LegS A and
B_n = sqrt(2n+1)), the memory x_1..x_L of every channel. The candidates are written here the way a user would, in
torch: the dense LegS matrices and a triangular solve per step. Fixed seeds; every verdict is printed. Runs as a
script:

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_hippo.py
"""

import math
import sys
import time

import numpy as np
import torch

import seqref
import seqref.testing as st
from script_runner import expect_error, run

METHOD = "ssm/hippo"


def signal(C=4, L=2000, seed=0):
    """Random walks (a smooth-ish input a memory is meant for), one per channel."""
    rng = np.random.default_rng(seed)
    print(f"  signal C={C} L={L} seed={seed}")
    return np.cumsum(rng.standard_normal((C, L)), 1) / 30


def legs(N, dtype, b_scale=1.0):
    n = torch.arange(N, dtype=torch.float64)
    v = torch.sqrt(2 * n + 1)
    A = -torch.tril(v[:, None] * v[None, :], -1) - torch.diag(n + 1)
    return A.to(dtype), (b_scale * v).to(dtype)


def legs_memory(u, N, scheme="bilinear", t_shift=0, b_scale=1.0, weight="inverse_k"):
    """The user's memory, [C, L, N]: dense A, a triangular solve per step. scheme / t_shift / b_scale: the bugs."""
    u = torch.as_tensor(u)
    dtype = u.dtype
    A, B = legs(N, dtype, b_scale)
    I = torch.eye(N, dtype=dtype)
    C, L = u.shape
    x = torch.zeros(C, N, dtype=dtype)
    out = torch.empty(C, L, N, dtype=dtype)
    x[:, 0] = B[0] * u[:, 0]  # the first step is exact: the coefficients of a constant
    out[:, 0] = x
    for k in range(1, L):
        t = float(k + t_shift)
        w = 1.0 / t if weight == "inverse_k" else math.log1p(1.0 / t)
        if scheme == "bilinear":
            rhs = x @ (I + A / (2 * t)).T + (w * u[:, k:k + 1]) * B
            x = torch.linalg.solve_triangular(I - A / (2 * (t + 1)), rhs.T, upper=False).T
        elif scheme == "backward_euler":
            x = torch.linalg.solve_triangular(I - A / (t + 1), (x + (w * u[:, k:k + 1]) * B).T, upper=False).T
        else:  # forward Euler
            x = x + (x @ A.T) / t + (w * u[:, k:k + 1]) * B
        out[:, k] = x
    return out


def legs_state_spaces(u, N):
    """state-spaces' HiPPOScale: x_t = (I - A/(2t))^-1 (I + A/(2t)) x_{t-1} + (I - A/(2t))^-1 B u_{t-1} / t from
    x_0 = 0, t = 1..L: another discretization (the same t on both sides, no exact first step)."""
    u = torch.as_tensor(u)
    A, B = legs(N, u.dtype)
    I = torch.eye(N, dtype=u.dtype)
    C, L = u.shape
    x = torch.zeros(C, N, dtype=u.dtype)
    out = torch.empty(C, L, N, dtype=u.dtype)
    for t in range(1, L + 1):
        T = I - A / (2 * t)
        At = torch.linalg.solve_triangular(T, I + A / (2 * t), upper=False)
        Bt = torch.linalg.solve_triangular(T, (B / t)[:, None], upper=False)[:, 0]
        x = x @ At.T + u[:, t - 1:t] * Bt
        out[:, t - 1] = x
    return out


def show(label, v):
    print(f"  {label}: {v.summary()}")
    return v


# ---- correct candidates ---------------------------------------------------------------------------------------


def test_float32_passes():
    u = signal().astype(np.float32)
    for N in (16, 256):
        v = show(f"dense solve per step, N={N}", st.check(METHOD, legs_memory(u, N), u=u, N=N))
        assert v.passed and v.error_u < 1000 and v.shape == (4, 2000, N) and v.dtype == "float32", v.report()
    # seqref's own O(N) cpu kernel as the candidate
    X = seqref.cpu.hippo_legs_online(u, 256)
    v = show("seqref.cpu.hippo_legs_online (O(N))", st.check(METHOD, X, u=u, N=256))
    assert v.passed and v.error_u < 1000, v.report()


def test_both_forms_pass_where_the_other_is_more_accurate():
    # a dense solve per step at large N (its rounding grows with N), and the O(N) recurrence over a long input (its
    # rounding bias grows with L): each is several times less accurate than the other form there, and passes
    u = signal(C=2, L=1000, seed=6).astype(np.float32)
    v = show("dense solve, N=1024", st.check(METHOD, legs_memory(u, 1024), u=u, N=1024))
    assert v.passed and v.error_u < 5000, v.report()
    u = signal(C=2, L=16384, seed=7).astype(np.float32)
    v = show("O(N) cpu kernel, L=16384", st.check(METHOD, seqref.cpu.hippo_legs_online(u, 4), u=u, N=4))
    assert v.passed and v.error_u < 5000, v.report()


def test_single_channel_options_and_float64_pass():
    u = signal(C=1, L=1000, seed=1)[0]
    X = legs_memory(u[None], 64, b_scale=math.sqrt(2), weight="log_ratio")[0]
    v = show("float64, convention='post', weight='log_ratio'",
             st.check(METHOD, X, u=u, N=64, convention="post", weight="log_ratio", dt=0.01))
    assert v.passed and v.error_u < 1000 and v.shape == (1000, 64) and "long double" in v.truth, v.report()
    X = legs_memory(u[None].astype(np.float32), 64, scheme="backward_euler")[0]
    v = show("float32, scheme='backward_euler'", st.check(METHOD, X, u=u.astype(np.float32), N=64,
                                                         scheme="backward_euler"))
    assert v.passed and v.error_u < 1000, v.report()


def test_float16_and_bfloat16_pass():
    # no float16 triangular solve on the cpu: the user computes in float32 from the 16-bit input and rounds
    u = signal(L=1000, seed=2)
    for dtype in (torch.float16, torch.bfloat16):
        u16 = torch.tensor(u).to(dtype)
        X = legs_memory(u16.float(), 64).to(dtype)
        v = show(f"float32 memory rounded to {dtype}", st.check(METHOD, X, u=u16, N=64))
        assert v.passed and v.error_u < 4, v.report()
        print(f"    (the {dtype} reference itself: {v.reference_error_u:.0f}u; a LegS memory of 1000 steps keeps "
              f"every step's rounding)")


# ---- buggy candidates -----------------------------------------------------------------------------------------


def test_user_mistakes_fail():
    u = signal(L=500, seed=3).astype(np.float32)
    N = 32
    cases = (
        ("forward Euler where the bilinear step was meant", legs_memory(u, N, scheme="forward_euler")),
        ("off by one in time: t = k + 1 in the step", legs_memory(u, N, t_shift=1)),
        ("B = sqrt(2) sqrt(2n+1) (the post's) judged as convention='paper'", legs_memory(u, N, b_scale=math.sqrt(2))),
        ("state-spaces' HiPPOScale discretization", legs_state_spaces(u, N)),
    )
    for label, X in cases:
        v = show(label, st.check(METHOD, X, u=u, N=N))
        assert not v.passed and (v.error_u > 1e4 or v.nonfinite), v.report()


def test_nan_is_a_failure_with_its_index():
    u = signal(C=2, L=100).astype(np.float32)
    X = legs_memory(u, 8)
    X[1, 40, 3] = float("nan")
    v = show("NaN at [1, 40, 3]", st.check(METHOD, X, u=u, N=8))
    assert not v.passed and v.nonfinite == 1 and v.first_nonfinite_index == (1, 40, 3), v.report()


# ---- bad input ------------------------------------------------------------------------------------------------


def test_bad_input_raises_value_error():
    u = signal(C=2, L=50)
    X = legs_memory(u, 8)
    expect_error(ValueError, st.check, METHOD, X[:, :, :7], u=u, N=8, must_mention=("candidate", "[2, 50, 7]", "[2, 50, 8]"))
    expect_error(ValueError, st.check, METHOD, X, u=u, N=8, b_scale=1.0, must_mention=("b_scale",))
    expect_error(ValueError, st.check, METHOD, X, u=u, must_mention=("N",))
    expect_error(ValueError, st.check, METHOD, X, u=u, N=8.5, must_mention=("N",))
    expect_error(ValueError, st.check, METHOD, X, u=u, N=8, convention="lmu", must_mention=("convention",))
    expect_error(ValueError, st.check, METHOD, X, u=u, N=8, scheme="zoh", must_mention=("scheme",))
    expect_error(ValueError, st.check, METHOD, X, u=u, N=8, dt=-1.0, must_mention=("dt",))
    expect_error(ValueError, st.check, METHOD, X, u=u[:, :, None], N=8, must_mention=("u",))
    bad = u.copy()
    bad[1, 7] = np.nan
    expect_error(ValueError, st.check, METHOD, X, u=bad, N=8, must_mention=("u",))
    print("  bad inputs: ValueError naming the argument")


# ---- sampling and a large case --------------------------------------------------------------------------------


def test_sampling_still_passes_and_finds_the_bad_channel():
    u = signal(C=100, L=500, seed=4).astype(np.float32)  # 100 > the 64 units always run
    X = legs_memory(u, 32)
    v = show("32 channels, sampled", st.check(METHOD, X, u=u, N=32, yardstick_work=2e6))
    assert v.passed and v.error_u < 1000 and "of 100 channels" in v.yardstick, v.report()
    X[20] = legs_memory(u[20:21], 32, t_shift=1)[0]
    v = show("channel 20 off by one, sampled", st.check(METHOD, X, u=u, N=32, yardstick_work=2e6))
    assert not v.passed and v.worst_index[0] == 20, v.report()


def test_large_case_timing():
    u = signal(C=64, L=4096, seed=5).astype(np.float32)
    X = seqref.cpu.hippo_legs_online(u, 256)
    t0 = time.time()
    v = show("[64, 4096, 256] float32", st.check(METHOD, X, u=u, N=256))
    print(f"  large case: check took {time.time() - t0:.2f} s; yardstick on {v.yardstick.split(', ')[-1]}")
    assert v.passed, v.report()


if __name__ == "__main__":
    sys.exit(run(globals()))
