"""seqref.testing judging a user's own RTF kernel (ssm/rtf: the rational transfer function SSM, arXiv 2405.06147).

The candidate is written here the way a user would, in torch: irfft(rfft(b, n=L) / rfft([1, a], n=L), n=L), the
L-point kernel of G(z) = (b_1 + ... + b_N z^(N-1)) / (1 + a_1 z + ... + a_N z^N). Fixed seeds; every verdict is
printed. Runs as a script:

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_rtf.py
"""

import sys
import time

import numpy as np
import torch

import seqref  # noqa: F401  (registers seqref.testing)
import seqref.testing as st
from script_runner import expect_error, run

METHOD = "ssm/rtf"


def coeffs(H=8, N=8, r_min=0.3, r_max=0.6, seed=0):
    """Stable denominators: N poles in conjugate pairs with radii in [r_min, r_max]; b ~ N(0, 1/N)."""
    rng = np.random.default_rng(seed)
    a = np.empty((H, N))
    b = rng.standard_normal((H, N)) / np.sqrt(N)
    for h in range(H):
        r = rng.uniform(r_min, r_max, N // 2)
        th = rng.uniform(0, np.pi, N // 2)
        poles = np.concatenate([r * np.exp(1j * th), r * np.exp(-1j * th)])
        a[h] = np.real(np.poly(poles))[1:]  # lambda^N + a_1 lambda^(N-1) + ... + a_N
    print(f"  coeffs H={H} N={N} radii [{r_min}, {r_max}] seed={seed}: max sum|a| = {np.abs(a).sum(1).max():.1f}")
    return a, b


def rtf_kernel(a, b, L, leading_one=True, sign=1.0, numerator_shift=0):
    """The user's kernel. leading_one / sign / numerator_shift make the bugs."""
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    ones = torch.ones(a.shape[:-1] + (1,), dtype=a.dtype)
    den = torch.cat([ones, sign * a], -1) if leading_one else sign * a
    if numerator_shift:
        b = torch.cat([torch.zeros(b.shape[:-1] + (numerator_shift,), dtype=b.dtype), b], -1)
    return torch.fft.irfft(torch.fft.rfft(b, n=L) / torch.fft.rfft(den, n=L), n=L)


def impulse_response(a, b, L):
    """The first L taps h_k of G by the recurrence w_t = [t = 0] - a_1 w_{t-1} - ... - a_N w_{t-N},
    h_t = b_1 w_t + b_2 w_{t-1} + ... + b_N w_{t-N+1} (float64)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    N = a.shape[-1]
    w = np.zeros(a.shape[:-1] + (L,))
    h = np.zeros_like(w)
    for t in range(L):
        w[..., t] = (1.0 if t == 0 else 0.0) - sum(a[..., i - 1] * w[..., t - i] for i in range(1, N + 1) if t >= i)
        h[..., t] = sum(b[..., i - 1] * w[..., t - i + 1] for i in range(1, N + 1) if t >= i - 1)
    return h


def show(label, v):
    print(f"  {label}: {v.summary()}")
    return v


# ---- correct candidates ---------------------------------------------------------------------------------------


def test_float32_passes():
    a, b = coeffs()
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    for L in (1024, 1000):  # a power of two, and not (the reference then uses the definition-DFT)
        v = show(f"rfft/irfft, L={L}", st.check(METHOD, rtf_kernel(a32, b32, L), a=a32, b=b32, L=L))
        assert v.passed and v.error_u < 100 and v.shape == (8, L) and v.dtype == "float32", v.report()
    # one channel, 1-D coefficients (seqref.ref.rtf_kernel's shapes)
    v = show("one channel", st.check(METHOD, rtf_kernel(a32[3], b32[3], 512), a=a32[3], b=b32[3], L=512))
    assert v.passed and v.shape == (512,), v.report()
    # the RTF paper's initialisation a = 0: the kernel is b itself, zero-padded
    z = np.zeros_like(a32)
    v = show("a = 0", st.check(METHOD, rtf_kernel(z, b32, 256), a=z, b=b32, L=256))
    assert v.passed and v.error_u < 4, v.report()


def test_ill_conditioned_denominators_pass_alike():
    # poles near the unit circle: the division by DFT(1, a) amplifies the candidate's and the reference's rounding
    # alike, and the bound follows the reference
    a, b = coeffs(N=16, r_min=0.8, r_max=0.95, seed=1)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    v = show("poles up to 0.95", st.check(METHOD, rtf_kernel(a32, b32, 2048), a=a32, b=b32, L=2048))
    assert v.passed and v.reference_error_u > 100, v.report()


def test_float16_and_bfloat16_pass():
    # torch has no float16/bfloat16 FFT on the cpu: the user computes in float32 from the 16-bit coefficients
    a, b = coeffs(r_max=0.5, seed=2)
    for dtype in (torch.float16, torch.bfloat16):
        a16, b16 = torch.tensor(a).to(dtype), torch.tensor(b).to(dtype)
        K = rtf_kernel(a16.float(), b16.float(), 1024).to(dtype)
        v = show(f"float32 kernel rounded to {dtype}", st.check(METHOD, K, a=a16, b=b16, L=1024))
        assert v.passed and v.error_u < 4 and "refused" not in v.yardstick, v.report()
        assert "rtf_kernel_real" in v.yardstick and v.reference_error_u > 1, v.report()


def test_bfloat16_reference_refuses_a_vanishing_denominator():
    # with poles up to 0.9, DFT(1, a) cancels to exactly 0 at some frequency in bfloat16: the reference refuses, the
    # verdict says so and the bound falls back to K u (a kernel computed in float32 and rounded still passes)
    a, b = coeffs(r_max=0.9, seed=1)
    a16, b16 = torch.tensor(a).to(torch.bfloat16), torch.tensor(b).to(torch.bfloat16)
    K = rtf_kernel(a16.float(), b16.float(), 1024).to(torch.bfloat16)
    v = show("bfloat16, poles up to 0.9", st.check(METHOD, K, a=a16, b=b16, L=1024))
    assert v.passed and "refused" in v.yardstick and v.bound_u == v.K, v.report()
    print(f"    yardstick: ...{v.yardstick[-150:]}")


def test_float64_passes():
    a, b = coeffs(seed=3)
    v = show("rfft/irfft in float64", st.check(METHOD, rtf_kernel(a, b, 1024), a=a, b=b, L=1024))
    assert v.passed and v.error_u < 100 and "long double" in v.truth, v.report()


# ---- buggy candidates -----------------------------------------------------------------------------------------


def test_user_mistakes_fail():
    a, b = coeffs(seed=4)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    cases = (
        ("denominator without its leading 1: rfft(a)", dict(leading_one=False)),
        ("denominator 1 - a_1 z - ... (the other sign convention)", dict(sign=-1.0)),
        ("numerator off by one: b_1 z + ... + b_N z^N", dict(numerator_shift=1)),
    )
    for label, bug in cases:
        v = show(label, st.check(METHOD, rtf_kernel(a32, b32, 512, **bug), a=a32, b=b32, L=512))
        assert not v.passed and v.error_u > 1e4, v.report()
    # the first L taps of the impulse response instead of the L-point kernel: the alias sum_{m>=1} h_{k+mL} is
    # missing, visible when L is short against the decay
    a, b = coeffs(N=4, r_min=0.85, r_max=0.9, seed=5)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    h = impulse_response(a32, b32, 32).astype(np.float32)
    v = show("impulse response truncated at L = 32", st.check(METHOD, h, a=a32, b=b32, L=32))
    assert not v.passed and v.error_u > 1e3, v.report()


def test_nan_is_a_failure_with_its_index():
    a, b = coeffs()
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    K = rtf_kernel(a32, b32, 256)
    K[5, 17] = float("nan")
    v = show("NaN at [5, 17]", st.check(METHOD, K, a=a32, b=b32, L=256))
    assert not v.passed and v.nonfinite == 1 and v.first_nonfinite_index == (5, 17), v.report()


# ---- bad input ------------------------------------------------------------------------------------------------


def test_bad_input_raises_value_error():
    a, b = coeffs(H=4)
    K = rtf_kernel(a, b, 64)
    expect_error(ValueError, st.check, METHOD, K[:, :63], a=a, b=b, L=64, must_mention=("candidate", "[4, 63]", "[4, 64]"))
    expect_error(ValueError, st.check, METHOD, K, a=a, b=b[:, :7], L=64, must_mention=("b", "[4, 7]"))
    expect_error(ValueError, st.check, METHOD, K, a=a, b=b, L=64, N=8, must_mention=("N",))
    expect_error(ValueError, st.check, METHOD, K, a=a, b=b, must_mention=("L",))
    expect_error(ValueError, st.check, METHOD, K, a=a, b=b, L=0, must_mention=("L",))
    expect_error(ValueError, st.check, METHOD, K, a=a, L=64, must_mention=("b",))
    bad = a.copy()
    bad[1, 2] = np.inf
    expect_error(ValueError, st.check, METHOD, K, a=bad, b=b, L=64, must_mention=("a",))
    # a denominator that vanishes at an L-th root of unity: 1 + z^2 at z = i (L = 4)
    expect_error(ValueError, st.check, METHOD, np.zeros(4), a=np.array([0.0, 1.0]), b=np.array([1.0, 0.0]), L=4,
                 must_mention=("vanishes",))
    print("  bad inputs: ValueError naming the argument")


# ---- sampling and a large case --------------------------------------------------------------------------------


def test_sampling_still_passes_and_finds_the_bad_channel():
    a, b = coeffs(H=100, seed=6)  # 100 > the 64 units the yardstick always runs
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    K = rtf_kernel(a32, b32, 1024)
    v = show("64 channels, sampled", st.check(METHOD, K, a=a32, b=b32, L=1024, yardstick_work=2e6))
    assert v.passed and v.error_u < 100 and "of 100 channels" in v.yardstick, v.report()
    K = K.clone()
    K[29] = rtf_kernel(a32[29], b32[29], 1024, numerator_shift=1)
    v = show("channel 29 off by one, sampled", st.check(METHOD, K, a=a32, b=b32, L=1024, yardstick_work=2e6))
    assert not v.passed and v.worst_index[0] == 29, v.report()


def test_large_case_timing():
    a, b = coeffs(H=512, N=16, seed=7)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    K = rtf_kernel(a32, b32, 16384)
    t0 = time.time()
    v = show("[512, 16384] float32", st.check(METHOD, K, a=a32, b=b32, L=16384))
    print(f"  large case: check took {time.time() - t0:.2f} s; yardstick on {v.yardstick.split(', ')[-1]}")
    assert v.passed, v.report()


if __name__ == "__main__":
    sys.exit(run(globals()))
