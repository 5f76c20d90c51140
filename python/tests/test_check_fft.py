"""seqref.testing on ssm/fft (causal convolution): a user's FFT convolution (NumPy, torch.fft) judged in float32,
float64, float16 and bfloat16; the classic bug (circular convolution: FFT length L instead of >= 2L) fails; a
channel count that forces the sampled yardstick; NaN; refusals. Deterministic: fixed seed."""
import numpy as np

from seqref import testing
from script_runner import expect_error

try:
    import torch
except ImportError:
    torch = None

SEED = 7031
print(f"seed {SEED}")
rng = np.random.default_rng(SEED)
M = "ssm/fft"


def expect_value_error(fn, *needles):
    """script_runner's expect_error for ValueError: the message must mention every needle."""
    return expect_error(ValueError, fn, must_mention=needles)


def fftconv(k, u, n=None):
    """The user's convolution: rfft of length n (>= 2L is right; n = L is the circular-convolution bug)."""
    L = u.shape[-1]
    n = n or 2 * L
    return np.fft.irfft(np.fft.rfft(k, n) * np.fft.rfft(u, n), n)[..., :L]


C, L = 5, 777  # L not a power of two
k = rng.standard_normal((C, L)) * np.exp(-np.arange(L) / 100.0)
u = rng.standard_normal((C, L))
for dt in (np.float32, np.float64):
    kk, uu = k.astype(dt), u.astype(dt)
    good = testing.check(M, fftconv(kk, uu).astype(dt), kernel=kk, u=uu)
    bad = testing.check(M, fftconv(kk, uu, n=L).astype(dt), kernel=kk, u=uu)
    print(good)
    print(bad)
    assert good.passed and good.error_u < good.bound_u, good.report()
    assert not bad.passed and bad.error_u > 1e3 * bad.bound_u, bad.report()
    # 1-D input: one channel
    one = testing.check(M, fftconv(kk[2], uu[2]).astype(dt), kernel=kk[2], u=uu[2])
    assert one.passed and one.shape == (L,), one.report()

if torch is not None:
    tk, tu = torch.from_numpy(k), torch.from_numpy(u)
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        a, b = tk.to(dt), tu.to(dt)
        n = 2 * L
        y = torch.fft.irfft(torch.fft.rfft(a.float(), n=n) * torch.fft.rfft(b.float(), n=n), n=n)[..., :L].to(dt)
        r = testing.check(M, y, kernel=a, u=b)
        print(r)
        assert r.passed, r.report()
        yb = torch.fft.irfft(torch.fft.rfft(a.float(), n=L) * torch.fft.rfft(b.float(), n=L), n=L).to(dt)
        rb = testing.check(M, yb, kernel=a, u=b)
        print(rb)
        assert not rb.passed and rb.error_u > 2 * rb.bound_u, rb.report()

# many channels: the yardstick samples (at least 64 channels, always the worst one)
kk, uu = rng.standard_normal((300, 64)).astype(np.float32), rng.standard_normal((300, 64)).astype(np.float32)
y = fftconv(kk, uu).astype(np.float32)
s = testing.check(M, y, kernel=kk, u=uu, yardstick_work=1.0)
assert s.passed and "of 300 channels" in s.yardstick, s.report()
y[299, 63] += 1.0
s = testing.check(M, y, kernel=kk, u=uu, yardstick_work=1.0)
assert not s.passed and s.worst_index == (299, 63), s.report()
y[17, 3] = np.nan
s = testing.check(M, y, kernel=kk, u=uu)
assert not s.passed and s.first_nonfinite_index == (17, 3) and s.nonfinite == 1

expect_value_error(lambda: testing.check(M, y, kernel=kk, u=uu[:, :10]), "u must be [channels=300, L=64]")
expect_value_error(lambda: testing.check(M, y[:, :10], kernel=kk, u=uu), "candidate has shape [300, 10]")
expect_value_error(lambda: testing.check(M, y, kernel=kk, x=uu), "unknown array argument 'x'")
expect_value_error(lambda: testing.check(M, y, kernel=kk[None], u=uu[None]), "kernel must be [channels, L]")
print("test_check_fft: ok")
