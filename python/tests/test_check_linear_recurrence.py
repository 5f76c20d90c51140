"""seqref.testing as the judge of a user's own scan, x_t = J_t x_{t-1} + b_t (scan/linear_recurrence).

The user's kernels here are written in torch (not seqref's): the plain loop, and a parallel (Hillis-Steele) scan that
composes the affine maps (J, b) in log2(T) doubling steps. Both are judged for scalar, diagonal and dense J in
float32, float16, bfloat16 (computed in float32 and rounded, and natively in bfloat16) and float64; an off-by-one in
time (J_{t+1} where J_t belongs) must fail with a readable summary.

Inputs as seqref.ref.linear_recurrence: J [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense), the kind
read from J's number of dimensions; b [B, T, D]; x0 [B, D] or None.

Runs as a script (what CTest does):
    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_linear_recurrence.py
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

METHOD = "scan/linear_recurrence"
SEEDS = {"scalar": 20240621, "diagonal": 20240622, "dense": 20240623, "sampled": 20240624}
KINDS = ("scalar", "diagonal", "dense")


def problem(kind, B=3, T=200, D=6, seed=None, x0=True):
    """A stable recurrence (float64 NumPy): scalar/diagonal decays in [0.8, 1), a dense J of spectral radius about
    0.95 (a random orthogonal matrix, scaled, perturbed per step), Gaussian b and x0."""
    seed = SEEDS[kind] if seed is None else seed
    print(f"  problem {kind} B={B} T={T} D={D} seed={seed}")
    rng = np.random.default_rng(seed)
    if kind == "scalar":
        J = rng.uniform(0.8, 1.0, (B, T))
    elif kind == "diagonal":
        J = rng.uniform(0.8, 1.0, (B, T, D))
    else:
        Q = np.linalg.qr(rng.standard_normal((B, 1, D, D)))[0]
        J = 0.95 * Q + 0.02 * rng.standard_normal((B, T, D, D))
    p = dict(J=J, b=rng.standard_normal((B, T, D)))
    if x0:
        p["x0"] = rng.standard_normal((B, D))
    return p


def apply(J, x):
    """J_t acting on x [B, ..., D] for J of any kind (its rank relative to x says which)."""
    if J.dim() == x.dim() - 1:
        return J[..., None] * x             # scalar
    if J.dim() == x.dim():
        return J * x                        # diagonal
    return (J @ x[..., None])[..., 0]       # dense


def user_loop(J, b, x0=None, bug=None):
    """The plain loop. bug="J_next" uses J_{t+1} at step t (the last step its own J_T)."""
    if bug == "J_next":
        J = torch.cat([J[:, 1:], J[:, -1:]], dim=1)
    x = torch.zeros_like(b[:, 0]) if x0 is None else x0
    out = []
    for t in range(b.shape[1]):
        x = apply(J[:, t], x) + b[:, t]
        out.append(x)
    return torch.stack(out, dim=1)


def user_parallel_scan(J, b, x0=None):
    """Hillis-Steele scan over the affine maps x -> J_t x + b_t: after the step with offset k, element t holds the
    composition of steps t-2k+1 .. t; x0 enters as b_1 += J_1 x0."""
    dense = J.dim() == 4
    if x0 is not None:
        b = b.clone()
        b[:, 0] = b[:, 0] + apply(J[:, 0], x0)
    A, c = J.clone(), b.clone()
    T, k = b.shape[1], 1
    while k < T:
        A_prev, c_prev = A[:, :-k], c[:, :-k]  # the maps of steps t-k (composed so far)
        A_new, c_new = A.clone(), c.clone()
        c_new[:, k:] = apply(A[:, k:], c_prev) + c[:, k:]
        A_new[:, k:] = A[:, k:] @ A_prev if dense else A[:, k:] * A_prev
        A, c, k = A_new, c_new, 2 * k
    return c


def in_float32_rounded(fn, tp, **kw):
    dtype = next(iter(tp.values())).dtype
    return fn(**{k: v.float() for k, v in tp.items()}, **kw).to(dtype)


def user_candidate(fn, tp, **kw):
    """In the inputs' dtype; float16 (torch's CPU matmul has no float16) in float32, rounded."""
    if next(iter(tp.values())).dtype == torch.float16:
        return in_float32_rounded(fn, tp, **kw)
    return fn(**tp, **kw)


def judged(candidate, p, **kw):
    return script_runner.judged(METHOD, candidate, p, **kw)


def test_float32_float64():
    for kind in KINDS:
        p = problem(kind)
        for dtype in (torch.float32, torch.float64):
            tp = as_torch(p, dtype)
            for fn in (user_loop, user_parallel_scan):
                v = passes(judged(fn(**tp), tp))
            assert ("long double" if dtype == torch.float64 else "seqref::cpu::linear_recurrence") in v.truth
    # NumPy arrays, no initial state
    p = {k: v.astype(np.float32) for k, v in problem("diagonal", x0=False).items()}
    passes(judged(user_loop(**{k: torch.from_numpy(v) for k, v in p.items()}).numpy(), p))


def test_float16_bfloat16():
    for kind in KINDS:
        p = problem(kind)
        for dtype in (torch.float16, torch.bfloat16):
            tp = as_torch(p, dtype)
            v = passes(judged(in_float32_rounded(user_loop, tp), tp))
            assert v.error_u <= 1, v.report()  # one rounding of a float32 result
            assert "Eigen::" in v.yardstick, v.yardstick
        tp = as_torch(p, torch.bfloat16)  # natively in bfloat16
        for fn in (user_loop, user_parallel_scan):
            passes(judged(fn(**tp), tp))


def test_off_by_one_in_time_fails():
    for kind in KINDS:
        p = problem(kind)
        for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
            tp = as_torch(p, dtype)
            v = judged(user_candidate(user_loop, tp, bug="J_next"), tp)
            assert not v.passed, v.report()
            assert v.summary().startswith("FAIL scan/linear_recurrence") and "worst at" in v.summary(), v.summary()
            # not a borderline case: off by more than 1% of max|x| and by more than twice the bound (bfloat16,
            # scalar J: 30u = 12% of max|x| against a bound of 10u)
            assert v.error_u * v.u > 0.01 and v.error_u > 2 * v.bound_u, v.report()
    tp = as_torch(problem("diagonal"), torch.float32)
    print(seqref.testing.check(METHOD, user_loop(**tp, bug="J_next"), **tp).report())


def test_nan_is_a_failure_with_its_index():
    tp = as_torch(problem("dense"), torch.float32)
    x = user_loop(**tp)
    x[2, 150, 4] = float("nan")
    x[2, 199, 0] = -float("inf")
    v = judged(x, tp)
    assert not v.passed and v.nonfinite == 2 and v.error_u == float("inf")
    assert v.first_nonfinite_index == (2, 150, 4), v.first_nonfinite_index
    assert "[2, 150, 4]" in v.summary()


def test_bad_calls_raise_value_error():
    p = problem("diagonal", B=2, T=5, D=3)
    x = user_loop(**as_torch(p, torch.float64)).numpy()
    expect_error(ValueError, seqref.testing.check, METHOD, x[:, :4], **p, must_mention=("candidate", "[2, 5, 3]"))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **p, A=p["J"], must_mention=("'A'",))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, J=p["J"][..., :2]),
                 must_mention=("J must be", "D=3"))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, J=p["J"][0, 0]), must_mention=("J must be",
                                                                                                        "scalar"))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, J=np.ones((2, 5, 3, 2))),
                 must_mention=("J must be",))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, b=p["b"][:, :4]), must_mention=("J must be",
                                                                                                          "T=4"))
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, x0=p["x0"][:1]), must_mention=("x0",))
    expect_error(ValueError, seqref.testing.check, METHOD, x, J=p["J"], must_mention=("'b'",))
    bad = p["b"].copy()
    bad[1, 2, 0] = np.nan
    expect_error(ValueError, seqref.testing.check, METHOD, x, **dict(p, b=bad), must_mention=("b", "non-finite"))


def test_sampled_yardstick_still_passes():
    for kind, D in (("diagonal", 64), ("dense", 16)):
        p = problem(kind, B=80, T=300, D=D, seed=SEEDS["sampled"])  # 80 sequences: more than the 64 always run
        for dtype in (torch.float32, torch.bfloat16):
            tp = as_torch(p, dtype)
            x = user_parallel_scan(**tp)
            t0 = time.time()
            v = passes(judged(x, tp, yardstick_work=2e5))
            sample = re.search(r"[0-9]+ of 80 ", v.yardstick)
            assert sample, v.yardstick
            print(f"    yardstick on {sample.group(0)}sequences; {time.time() - t0:.3f} s")
    # the sample always holds the candidate's worst sequence
    tp = as_torch(p, torch.float32)
    x = user_loop(**tp)
    x[71, 100, 5] += 1e-3 * x.abs().max()
    v = judged(x, tp, yardstick_work=2e5)
    assert not v.passed and v.worst_index == (71, 100, 5), v.report()


if __name__ == "__main__":
    print(f"seeds {SEEDS}; torch {torch.__version__}")
    sys.exit(run(globals()))
