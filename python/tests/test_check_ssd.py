"""seqref.testing as the judge of a user's own SSD (Mamba-2's state space duality, ssm/ssd).

The user's kernel here is a chunked SSD written in torch (not seqref's): inside each chunk the quadratic form
(L o C B^T) X with L = exp(segsum(a)) (segment sums, as Mamba-2's minimal listing), then the state carried from chunk
to chunk, read out by C and decayed into the next chunk's outputs. It is judged in float32, float16, bfloat16
(computed in float32 and rounded, and natively in bfloat16) and float64; the classic bug of a chunked kernel, the
carried state dropped from the outputs of later chunks, must fail with a readable summary.

Inputs as seqref.ref.ssd: X [batch, T, heads, P] (Mamba-2's x * dt), A [batch, T, heads] the per-step log decay
a_t = dt_t * A_h, B, C [batch, T, groups, N], h0 [batch, heads, P, N].

Runs as a script (what CTest does): PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_ssd.py
"""

import re
import sys
import time

import numpy as np
import torch

import seqref
import seqref.testing

import script_runner
from script_runner import as_torch, passes, expect_error, run

METHOD = "ssm/ssd"
SEEDS = {"small": 20240611, "sampled": 20240612, "segments": 20240613}


def problem(batch=2, T=100, heads=4, P=8, groups=2, N=16, seed=SEEDS["small"], h0=True):
    """A Mamba-2 layer's inputs (float64 NumPy): dt in about [1e-3, 1e-1] per step and head, A_h = -exp(A_log) with
    A_log = log(uniform(1, 16)), X = x * dt, a = dt * A_h."""
    print(f"  problem batch={batch} T={T} heads={heads} P={P} groups={groups} N={N} seed={seed}")
    rng = np.random.default_rng(seed)
    dt = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), (batch, T, heads)))
    A_h = -rng.uniform(1, 16, heads)
    p = dict(
        X=rng.standard_normal((batch, T, heads, P)) * dt[..., None],
        A=dt * A_h,
        B=rng.standard_normal((batch, T, groups, N)),
        C=rng.standard_normal((batch, T, groups, N)),
    )
    if h0:
        p["h0"] = 0.1 * rng.standard_normal((batch, heads, P, N))  # about the size of a state the inputs build up
    return p


def segsum(a):
    """a [..., L] -> [..., L, L] with entry [i, j] = a_{j+1} + ... + a_i for j <= i, -inf above (segment sums)."""
    L = a.shape[-1]
    below = torch.tril(torch.ones(L, L, dtype=torch.bool), diagonal=-1)
    seg = torch.cumsum(a[..., :, None].expand(*a.shape, L).masked_fill(~below, 0), dim=-2)
    return seg.masked_fill(~torch.tril(torch.ones(L, L, dtype=torch.bool)), -torch.inf)


def user_ssd(X, A, B, C, h0=None, chunk=16, bug=None):
    """The user's chunked SSD in torch, computing in the inputs' dtype. bug="dropped_carry" forgets the state carried
    from the previous chunk when forming a chunk's outputs (the first chunk still reads h0; the state itself is still
    carried)."""
    batch, T, heads, P = X.shape
    rep = heads // B.shape[2]
    Bh, Ch = B.repeat_interleave(rep, dim=2), C.repeat_interleave(rep, dim=2)  # [batch, T, heads, N]
    state = torch.zeros(batch, heads, P, B.shape[3], dtype=X.dtype) if h0 is None else h0
    Y = torch.empty_like(X)
    for t0 in range(0, T, chunk):
        x, a, b, c = (v[:, t0:t0 + chunk] for v in (X, A, Bh, Ch))
        seg = segsum(a.transpose(1, 2))                           # [batch, heads, L, L]
        scores = torch.einsum("bihn,bjhn->bhij", c, b) * torch.exp(seg)
        y = torch.einsum("bhij,bjhp->bihp", scores, x)            # within the chunk
        decay_in = torch.exp(torch.cumsum(a, dim=1))              # exp(a_start + ... + a_t): [batch, L, heads]
        if bug != "dropped_carry" or t0 == 0:
            y = y + torch.einsum("bihn,bhpn->bihp", c, state) * decay_in[..., None]
        decay_out = torch.exp(seg[:, :, -1, :])                   # exp(a_{s+1} + ... + a_end): [batch, heads, L]
        state = state * decay_in[:, -1, :, None, None] + torch.einsum("bhj,bjhp,bjhn->bhpn", decay_out, x, b)
        Y[:, t0:t0 + chunk] = y
    return Y


def in_float32_rounded(tp, **kw):
    """The user's kernel computing in float32 on 16-bit inputs, the result rounded to their dtype once."""
    dtype = next(iter(tp.values())).dtype
    return user_ssd(**{k: v.float() for k, v in tp.items()}, **kw).to(dtype)


def user_candidate(tp, **kw):
    """In the inputs' dtype; float16 (no float16 exp in torch's CPU) in float32, rounded."""
    if next(iter(tp.values())).dtype == torch.float16:
        return in_float32_rounded(tp, **kw)
    return user_ssd(**tp, **kw)


def judged(candidate, p, **kw):
    return script_runner.judged(METHOD, candidate, p, **kw)


def test_float32_float64():
    p = problem()
    for dtype in (torch.float32, torch.float64):
        tp = as_torch(p, dtype)
        for chunk in (16, 37, 128):  # several chunks with a short last one; one chunk (the quadratic form)
            v = passes(judged(user_ssd(**tp, chunk=chunk), tp))
        assert ("long double" if dtype == torch.float64 else "seqref::cpu::ssd") in v.truth, v.truth
        assert "ssd_recurrence" in v.yardstick, v.yardstick
    # NumPy arrays, no initial state
    p = {k: v.astype(np.float32) for k, v in problem(h0=False).items()}
    passes(judged(user_ssd(**{k: torch.from_numpy(v) for k, v in p.items()}).numpy(), p))


def test_float16_bfloat16():
    p = problem()
    for dtype in (torch.float16, torch.bfloat16):
        tp = as_torch(p, dtype)
        v = passes(judged(in_float32_rounded(tp), tp))
        assert v.error_u <= 1, v.report()  # one rounding of a float32 result
        assert "Eigen::" in v.yardstick, v.yardstick
    tp = as_torch(p, torch.bfloat16)
    passes(judged(user_ssd(**tp), tp))  # natively in bfloat16 (einsum, exp and cumsum run in bfloat16 on the CPU)


def test_dropped_chunk_carry_fails():
    p = problem()
    for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        tp = as_torch(p, dtype)
        v = judged(user_candidate(tp, bug="dropped_carry"), tp)
        assert not v.passed, v.report()
        assert v.summary().startswith("FAIL ssm/ssd") and "worst at" in v.summary(), v.summary()
        assert v.worst_index[1] >= 16, v.worst_index  # the first chunk reads h0, not a carry
        # not a borderline case: off by more than 1% of max|Y| and by more than K times the bound
        assert v.error_u * v.u > 0.01 and v.error_u > v.K * v.bound_u, v.report()
    print(seqref.testing.check(METHOD, user_ssd(**as_torch(p, torch.float32), bug="dropped_carry"),
                               **as_torch(p, torch.float32)).report())


def test_nan_is_a_failure_with_its_index():
    tp = as_torch(problem(), torch.float32)
    Y = user_ssd(**tp)
    Y[1, 40, 3, 5] = float("nan")
    Y[1, 41, 0, 0] = float("nan")
    v = judged(Y, tp)
    assert not v.passed and v.nonfinite == 2 and v.error_u == float("inf")
    assert v.first_nonfinite_index == (1, 40, 3, 5), v.first_nonfinite_index
    assert "[1, 40, 3, 5]" in v.summary()


def test_bad_calls_raise_value_error():
    p = problem(batch=1, T=8, heads=4, P=2, groups=2, N=3)
    Y = user_ssd(**as_torch(p, torch.float64)).numpy()
    expect_error(ValueError, seqref.testing.check, METHOD, Y[..., :1], **p, must_mention=("candidate", "[1, 8, 4, 2]"))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **p, chunk=16, must_mention=("chunk",))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **p, dt=p["A"], must_mention=("dt",))
    # Mamba-2's per-head A [heads] instead of the per-step log decay
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, A=-np.ones(4)), must_mention=("A must be",
                                                                                                      "log decay"))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, A=p["A"][:, :7]), must_mention=("A must be",))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, C=p["C"][..., :2]), must_mention=("C must be",))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, B=p["B"][:, :, :1].repeat(3, axis=2),
                                                                     C=p["C"][:, :, :1].repeat(3, axis=2)),
                 must_mention=("groups", "divide"))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, h0=p["h0"][..., :2]), must_mention=("h0",))
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **{k: v for k, v in p.items() if k != "B"},
                 must_mention=("'B'",))
    bad = p["X"].copy()
    bad[0, 3, 1, 0] = np.inf
    expect_error(ValueError, seqref.testing.check, METHOD, Y, **dict(p, X=bad), must_mention=("X", "non-finite"))


def test_sampled_yardstick_and_long_heads():
    # a head longer than one reference segment (2^16 / (P N) = 256 steps at P = N = 16): the segmented recurrence is
    # bit-identical to one run, so seqref.ref.ssd's recurrence in float64, judged, is exactly as far from the truth as
    # the yardstick (which is that recurrence on all heads here)
    p = problem(batch=1, T=700, heads=2, P=16, groups=1, N=16, seed=SEEDS["segments"])
    Y = seqref.ref.ssd(**p, form="recurrence")[0]
    v = passes(judged(Y, p))
    assert v.error_u == v.reference_error_u, v.report()
    # 96 (batch, head) units: more than the 64 the yardstick always runs
    p = problem(batch=6, T=300, heads=16, P=16, groups=4, N=16, seed=SEEDS["sampled"])
    for dtype in (torch.float32, torch.bfloat16):
        tp = as_torch(p, dtype)
        Y = user_ssd(**tp, chunk=64)
        t0 = time.time()
        v = passes(judged(Y, tp, yardstick_work=5e6))
        sample = re.search(r"[0-9]+ of 96 ", v.yardstick)
        assert sample, v.yardstick
        print(f"    yardstick on {sample.group(0)}heads; {time.time() - t0:.3f} s")
    # the sample always holds the candidate's worst head
    tp = as_torch(p, torch.float32)
    Y = user_ssd(**tp, chunk=64)
    Y[5, 250, 13, 4] += 1e-3 * Y.abs().max()
    v = judged(Y, tp, yardstick_work=5e6)
    assert not v.passed and v.worst_index == (5, 250, 13, 4), v.report()


if __name__ == "__main__":
    print(f"seeds {SEEDS}; torch {torch.__version__}")
    sys.exit(run(globals()))
