"""seqref.testing judging a user's own evaluation of the tanh RNN x_t = tanh(A x_{t-1} + u_t) (rnn/deer).

The candidates are written here the way a user would: DEER (Newton sweeps, every sweep a parallel prefix scan of
the affine maps x -> J_t x + b_t) in torch, and plain sequential loops in torch / NumPy. Fixed seeds; every verdict
is printed. Runs as a script:

    PYTHONPATH=build/python /usr/bin/python3 python/tests/test_check_deer.py
"""

import sys
import time

import numpy as np
import torch

import seqref  # noqa: F401  (registers seqref.testing)
import seqref.testing as st
from script_runner import expect_error, run

METHOD = "rnn/deer"


def problem(d=8, T=500, rho=0.9, seed=0, batch=None):
    """A contracting cell (spectral radius rho of A) and standard normal inputs."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((d, d))
    A = rho * G / np.max(np.abs(np.linalg.eigvals(G)))
    u = rng.standard_normal((T, d) if batch is None else (batch, T, d))
    print(f"  problem d={d} T={T} rho={rho} seed={seed} batch={batch}")
    return A, u


# ---- the user's implementations -------------------------------------------------------------------------------


def affine_scan(J, b):
    """Inclusive Hillis-Steele scan of the maps x -> J_t x + b_t: returns (J_t...J_1, the composed offsets)."""
    J, b = J.clone(), b.clone()
    s = 1
    while s < J.shape[0]:
        J_next, b_next = J.clone(), b.clone()
        J_next[s:] = J[s:] @ J[:-s]
        b_next[s:] = (J[s:] @ b[:-s, :, None])[..., 0] + b[s:]
        J, b = J_next, b_next
        s *= 2
    return J, b


def deer_torch(A, u, sweeps=50, transpose_jacobian=False):
    """DEER (Newton): linearize the cell about the previous sweep's trajectory and solve the linear recurrence by a
    parallel scan; stop when the residual max_t |x_t - f(x_{t-1})| stops decreasing (or after `sweeps`)."""
    A, u = torch.as_tensor(A), torch.as_tensor(u)
    T, d = u.shape
    x0 = torch.zeros(d, dtype=u.dtype)
    x = torch.zeros_like(u)
    J_of = A.T if transpose_jacobian else A
    last = float("inf")
    for _ in range(sweeps):
        prev = torch.cat([x0[None], x[:-1]])
        f = torch.tanh(prev @ A.T + u)
        residual = (x - f).abs().max().item()
        if residual >= last and residual < 1e-3:
            break
        last = residual
        J = (1 - f * f)[:, :, None] * J_of  # diag(tanh') A
        b = f - (J @ prev[:, :, None])[..., 0]
        Jc, bc = affine_scan(J, b)
        x = Jc @ x0 + bc
    return x


def loop_torch(A, u):
    """The sequential loop in torch (batched over a leading dimension when u is [B, T, d])."""
    A, u = torch.as_tensor(A), torch.as_tensor(u)
    x = torch.zeros(u.shape[:-2] + u.shape[-1:], dtype=u.dtype)
    out = []
    for t in range(u.shape[-2]):
        x = torch.tanh(x @ A.T + u[..., t, :])
        out.append(x)
    return torch.stack(out, dim=-2)


def loop_numpy(A, u, x0=None):
    x = np.zeros(A.shape[0], dtype=u.dtype) if x0 is None else x0.copy()
    out = np.empty_like(u)
    for t in range(u.shape[0]):
        x = np.tanh(A @ x + u[t])
        out[t] = x
    return out


def show(label, v):
    print(f"  {label}: {v.summary()}")
    return v


# ---- correct candidates ---------------------------------------------------------------------------------------


def test_float32_deer_and_loop_pass():
    A, u = problem()
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    for label, x in (("DEER newton (torch, scan)", deer_torch(A32, u32)), ("loop (torch)", loop_torch(A32, u32))):
        v = show(label, st.check(METHOD, x, A=A32, u=u32))
        assert v.passed and v.error_u < 20, v.report()
        assert v.dtype == "float32" and v.shape == (500, 8)


def test_float16_and_bfloat16_pass():
    A, u = problem(seed=1)
    # float16: torch has no float16 cpu kernels, so the user's loop runs in NumPy's float16 (every op rounded to
    # float16), and a float32 result rounded to float16 is judged too
    A16, u16 = A.astype(np.float16), u.astype(np.float16)
    v = show("loop (NumPy float16)", st.check(METHOD, loop_numpy(A16, u16), A=A16, u=u16))
    assert v.passed and v.error_u < 20, v.report()
    x = loop_torch(A16.astype(np.float32), u16.astype(np.float32)).to(torch.float16)
    v = show("loop in float32, rounded to float16", st.check(METHOD, x, A=A16, u=u16))
    assert v.passed and v.error_u < 4, v.report()
    # bfloat16: torch's cpu tanh and matmul run in bfloat16
    Ab, ub = torch.tensor(A).to(torch.bfloat16), torch.tensor(u).to(torch.bfloat16)
    v = show("loop (torch bfloat16)", st.check(METHOD, loop_torch(Ab, ub), A=Ab, u=ub))
    assert v.passed and v.error_u < 20 and v.dtype == "bfloat16", v.report()


def test_float64_passes_and_x0():
    A, u = problem(seed=2, T=300)
    x0 = np.linspace(-0.5, 0.5, 8)
    v = show("loop (NumPy float64, x0)", st.check(METHOD, loop_numpy(A, u, x0), A=A, u=u, x0=x0))
    assert v.passed and v.error_u < 20 and "long double" in v.truth, v.report()


# ---- buggy candidates -----------------------------------------------------------------------------------------


def test_deer_with_too_few_sweeps_fails():
    A, u = problem()
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    v = show("DEER stopped after 3 sweeps", st.check(METHOD, deer_torch(A32, u32, sweeps=3), A=A32, u=u32))
    assert not v.passed and v.error_u > 1e3, v.report()
    assert v.worst_index is not None and "worst at" in v.summary()


def test_deer_with_transposed_jacobian_fails():
    # J_t = diag(1 - f^2) A^T (the row-vector convention x @ A mixed into a column-vector cell): the sweeps do not
    # settle on the trajectory within the user's sweep budget
    A, u = problem()
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    x = deer_torch(A32, u32, sweeps=30, transpose_jacobian=True)
    v = show("DEER with A^T in the Jacobian", st.check(METHOD, x, A=A32, u=u32))
    assert not v.passed and v.error_u > 1e3, v.report()


def test_off_by_one_in_time_fails():
    # x_t = tanh(A x_{t-1} + u_{t-1}): the inputs shifted by one step
    A, u = problem(T=200)
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    shifted = np.concatenate([np.zeros((1, 8), np.float32), u32[:-1]])
    v = show("loop fed u_{t-1}", st.check(METHOD, loop_torch(A32, shifted), A=A32, u=u32))
    assert not v.passed and v.error_u > 1e5, v.report()


def test_nan_is_a_failure_with_its_index():
    A, u = problem(T=100)
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    x = loop_torch(A32, u32).numpy().copy()
    x[37, 2] = np.nan
    x[50, 0] = np.inf
    v = show("NaN at [37, 2]", st.check(METHOD, x, A=A32, u=u32))
    assert not v.passed and v.nonfinite == 2 and v.first_nonfinite_index == (37, 2), v.report()
    assert "[37, 2]" in v.summary()


# ---- bad input ------------------------------------------------------------------------------------------------


def test_bad_input_raises_value_error():
    A, u = problem(T=50)
    x = loop_numpy(A, u)
    expect_error(ValueError, st.check, METHOD, x[:-1], A=A, u=u, must_mention=("candidate", "[49, 8]", "[50, 8]"))
    # a DEER solver option is not an input of the op (the trajectory is judged, however it was computed)
    expect_error(ValueError, st.check, METHOD, x, A=A, u=u, max_sweeps=10, must_mention=("max_sweeps",))
    expect_error(ValueError, st.check, METHOD, x, A=A, u=u[:, :5], must_mention=("u", "[50, 5]"))
    expect_error(ValueError, st.check, METHOD, x, A=A[:, :5], u=u, must_mention=("A",))
    expect_error(ValueError, st.check, METHOD, x, A=A, u=u, x0=np.zeros(3), must_mention=("x0",))
    expect_error(ValueError, st.check, METHOD, x, u=u, must_mention=("A",))
    bad = u.copy()
    bad[3, 1] = np.nan
    expect_error(ValueError, st.check, METHOD, x, A=A, u=bad, must_mention=("u",))
    print("  bad inputs: ValueError naming the argument")


# ---- batches and sampling -------------------------------------------------------------------------------------


def test_batched_sampling_still_passes_and_finds_the_bad_sequence():
    A, u = problem(T=300, batch=100, seed=3)  # 100 > the 64 units the yardstick always runs
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    x = loop_torch(A32, u32)
    v = show("batch of 100, all sequences", st.check(METHOD, x, A=A32, u=u32))
    assert v.passed and "all 100 sequences" in v.yardstick, v.report()
    v = show("batch of 100, sampled", st.check(METHOD, x, A=A32, u=u32, yardstick_work=2e5))
    assert v.passed and v.error_u < 20 and "of 100 sequences" in v.yardstick, v.report()
    # one sequence evaluated with the inputs one step late: found, and its sequence is in the yardstick's sample
    x = x.clone()
    shifted = np.concatenate([np.zeros((1, 8), np.float32), u32[41, :-1]])
    x[41] = loop_torch(A32, shifted)
    v = show("sequence 41 off by one, sampled", st.check(METHOD, x, A=A32, u=u32, yardstick_work=2e5))
    assert not v.passed and v.worst_index[0] == 41, v.report()


def test_large_case_timing():
    A, u = problem(d=16, T=20000, batch=8, seed=4)
    A32, u32 = A.astype(np.float32), u.astype(np.float32)
    x = loop_torch(A32, u32)
    t0 = time.time()
    v = show("[8, 20000, 16] float32", st.check(METHOD, x, A=A32, u=u32))
    print(f"  large case: check took {time.time() - t0:.2f} s (verdict {v.seconds:.2f} s)")
    assert v.passed, v.report()
    Ab, ub = torch.tensor(A).to(torch.bfloat16), torch.tensor(u).to(torch.bfloat16)
    xb = loop_torch(Ab.float(), ub.float()).to(torch.bfloat16)
    t0 = time.time()
    v = show("[8, 20000, 16] bfloat16", st.check(METHOD, xb, A=Ab, u=ub))
    print(f"  large case bfloat16: check took {time.time() - t0:.2f} s")
    assert v.passed, v.report()


if __name__ == "__main__":
    sys.exit(run(globals()))
