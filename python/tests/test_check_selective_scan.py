"""seqref.testing as the judge of a user's own selective scan (Mamba S6, ssm/selective_scan).

The user's kernel here is the loop of the Mamba paper written in torch (not seqref's):
    h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t,   y_t = C_t . h_t + D u_t,   y_t *= silu(z_t)
judged in float32, float16, bfloat16 (computed in float32 and rounded, and natively in bfloat16) and float64; two
realistic bugs (ZOH's B-bar where Euler's was asked, and exp(A) without delta) must fail with a readable summary.

Runs as a script (what CTest does): PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_selective_scan.py
"""

import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import seqref
import seqref.testing

import script_runner
from script_runner import as_torch, passes, expect_error, run

METHOD = "ssm/selective_scan"
SEEDS = {"small": 20240601, "sampled": 20240602, "zoh": 20240603}


def problem(batch=2, T=96, channels=12, dstate=8, seed=SEEDS["small"]):
    """A Mamba-like layer's inputs (float64 NumPy): S4D-real A = -(1..N), dt = softplus(delta + dt_bias) in about
    [1e-3, 1e-1], gate z, skip D, an initial state."""
    print(f"  problem batch={batch} T={T} channels={channels} dstate={dstate} seed={seed}")
    rng = np.random.default_rng(seed)
    dt = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), channels))
    return dict(
        u=rng.standard_normal((batch, T, channels)),
        delta=0.5 * rng.standard_normal((batch, T, channels)),
        A=-np.tile(np.arange(1, dstate + 1, dtype=np.float64), (channels, 1)),
        B=rng.standard_normal((batch, T, dstate)),
        C=rng.standard_normal((batch, T, dstate)),
        D=np.ones(channels),
        z=rng.standard_normal((batch, T, channels)),
        delta_bias=dt + np.log(-np.expm1(-dt)),  # softplus^-1(dt), Mamba's dt_bias initialization
        delta_softplus=True,
        h0=rng.standard_normal((batch, channels, dstate)),
    )


def user_selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False, h0=None,
                        discretization="euler", bug=None):
    """The user's kernel: Mamba's loop in torch, computing in the inputs' dtype. `bug` makes it wrong on purpose."""
    if delta_bias is not None:
        delta = delta + delta_bias
    if delta_softplus:
        delta = F.softplus(delta)
    dA = delta[..., None] * A                                    # [b, T, c, n]
    dA_bar = torch.exp(A).expand_as(dA) if bug == "exp_A_without_delta" else torch.exp(dA)
    zoh = (discretization == "zoh") != (bug == "zoh_for_euler")  # the bug swaps the two B-bar formulas
    B_bar = torch.expm1(dA) / A if zoh else delta[..., None].expand_as(dA)
    Bu = B_bar * B[:, :, None, :] * u[..., None]
    h = torch.zeros_like(dA[:, 0]) if h0 is None else h0
    ys = []
    for t in range(u.shape[1]):
        h = dA_bar[:, t] * h + Bu[:, t]
        ys.append((h * C[:, t, None, :]).sum(-1))
    y = torch.stack(ys, dim=1)
    if D is not None:
        y = y + D * u
    if z is not None:
        y = y * F.silu(z)
    return y


def in_float32_rounded(tp, **kw):
    """The user's kernel computing in float32 on 16-bit inputs `tp`, its result rounded to their dtype once (what a
    fused kernel with 16-bit inputs and outputs does)."""
    dtype = next(v.dtype for v in tp.values() if torch.is_tensor(v))
    return user_selective_scan(**{k: (v.float() if torch.is_tensor(v) else v) for k, v in tp.items()}, **kw).to(dtype)


def user_candidate(tp, **kw):
    """The user's kernel on inputs `tp` (torch tensors of one dtype), computing in their dtype; float16, which torch's
    CPU exp does not support, in float32 and rounded."""
    if next(v.dtype for v in tp.values() if torch.is_tensor(v)) == torch.float16:
        return in_float32_rounded(tp, **kw)
    return user_selective_scan(**tp, **kw)


def judged(candidate, p, **kw):
    return script_runner.judged(METHOD, candidate, p, **kw)


def test_float32_float64():
    p = problem()
    for dtype in (torch.float32, torch.float64):
        tp = as_torch(p, dtype)
        v = passes(judged(user_selective_scan(**tp), tp))
        assert v.dtype == str(dtype).replace("torch.", "")
        assert "long double" in v.truth if dtype == torch.float64 else "seqref::cpu::selective_scan" in v.truth
    # NumPy arrays work the same (float32 inputs and candidate)
    p32 = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else v) for k, v in p.items()}
    y = user_selective_scan(**as_torch(p32, torch.float32)).numpy()
    passes(judged(y, p32))


def test_float16_bfloat16():
    p = problem()
    for dtype in (torch.float16, torch.bfloat16):
        tp = as_torch(p, dtype)  # what the user's kernel saw: inputs in the 16-bit dtype
        v = passes(judged(in_float32_rounded(tp), tp))
        assert v.error_u <= 1, v.report()  # one rounding of a float32 result
        assert "Eigen::" in v.yardstick, v.yardstick
    # natively in bfloat16 (torch runs exp, softplus and the loop in bfloat16 on the CPU): roundings like the
    # reference's
    tp = as_torch(p, torch.bfloat16)
    passes(judged(user_selective_scan(**tp), tp))


def test_zoh_discretization():
    p = problem(batch=1, T=64, channels=8, dstate=4, seed=SEEDS["zoh"])
    for dtype in (torch.float32, torch.float64):
        tp = as_torch(p, dtype)
        passes(judged(user_selective_scan(**tp, discretization="zoh"), tp, discretization="zoh"))


def test_bugs_fail():
    p = problem()
    # ZOH's and Euler's B-bar differ by a factor ~(1 + Delta A / 2): ~2% of y at Mamba's dt in [1e-3, 1e-1], far
    # outside a float32/float64 bound; exp(A) without delta is wrong at every step, in any dtype.
    cases = [("zoh_for_euler", torch.float32), ("zoh_for_euler", torch.float64),
             ("exp_A_without_delta", torch.float32), ("exp_A_without_delta", torch.float16),
             ("exp_A_without_delta", torch.bfloat16)]
    for bug, dtype in cases:
        tp = as_torch(p, dtype)
        v = judged(user_candidate(tp, bug=bug), tp)
        assert not v.passed, v.report()
        assert v.summary().startswith("FAIL ssm/selective_scan") and "worst at" in v.summary(), v.summary()
        # not a borderline case: off by more than 1% of max|y| and by more than K times the bound (a 16-bit
        # yardstick is loose: the reference computing every step in bfloat16 is off by ~5% of max|y| here)
        assert v.error_u * v.u > 0.01 and v.error_u > v.K * v.bound_u, v.report()
    print(seqref.testing.check(METHOD, user_selective_scan(**as_torch(p, torch.float32), bug="zoh_for_euler"),
                               **as_torch(p, torch.float32)).report())


def test_nan_is_a_failure_with_its_index():
    p = as_torch(problem(), torch.float32)
    y = user_selective_scan(**p)
    y[1, 5, 2] = float("nan")
    y[1, 7, 0] = float("inf")
    v = judged(y, p)
    assert not v.passed and v.nonfinite == 2 and v.error_u == float("inf")
    assert v.first_nonfinite_index == (1, 5, 2), v.first_nonfinite_index
    assert "[1, 5, 2]" in v.summary()


def test_bad_calls_raise_value_error():
    p = problem(batch=1, T=8, channels=3, dstate=2)
    y = user_selective_scan(**as_torch(p, torch.float64)).numpy()
    expect_error(ValueError, seqref.testing.check, METHOD, y[:, :-1], **p, must_mention=("candidate", "[1, 7, 3]"))
    expect_error(ValueError, seqref.testing.check, METHOD, y, **p, dt_bias=p["delta_bias"], must_mention=("dt_bias",))
    bad = dict(p, B=p["B"][..., :1])
    expect_error(ValueError, seqref.testing.check, METHOD, y, **bad, must_mention=("B must be", "dstate=2"))
    bad = dict(p, h0=p["h0"][:, :2])
    expect_error(ValueError, seqref.testing.check, METHOD, y, **bad, must_mention=("h0",))
    expect_error(ValueError, seqref.testing.check, METHOD, y, **p, discretization="bilinear",
                 must_mention=("discretization",))
    missing = {k: v for k, v in p.items() if k != "C"}
    expect_error(ValueError, seqref.testing.check, METHOD, y, **missing, must_mention=("'C'",))
    bad = dict(p, delta=np.where(np.arange(8)[None, :, None] == 3, np.nan, p["delta"]))
    expect_error(ValueError, seqref.testing.check, METHOD, y, **bad, must_mention=("delta", "non-finite"))


def test_sampled_yardstick_still_passes():
    p = problem(batch=3, T=128, channels=100, dstate=16, seed=SEEDS["sampled"])  # 300 lanes: more than the 64 always run
    for dtype in (torch.float32, torch.bfloat16):
        tp = as_torch(p, dtype)
        y = user_selective_scan(**tp)
        t0 = time.time()
        v = passes(judged(y, tp, yardstick_work=2e6))
        assert " of 300 (batch, channel) lanes" in v.yardstick, v.yardstick
        sample = re.search(r"[0-9]+ of [0-9]+", v.yardstick).group(0)
        print(f"    yardstick on {sample} lanes; {time.time() - t0:.3f} s")
    # the sample always holds the candidate's worst lane: a bug in one lane is caught and its lane judged
    tp = as_torch(p, torch.float32)
    y = user_selective_scan(**tp)
    y[2, 100, 31] += 1e-3 * y.abs().max()
    v = judged(y, tp, yardstick_work=2e6)
    assert not v.passed and v.worst_index == (2, 100, 31), v.report()


if __name__ == "__main__":
    print(f"seeds {SEEDS}; torch {torch.__version__}")
    sys.exit(run(globals()))
