"""Regression tests for hostile input found by the independent check (and by test_fuzz.py): each call here once
read or wrote outside a buffer, crashed, ran until killed, or gave a misleading message. Every one must now raise
ValueError (or MemoryError) at once, naming the function, the argument and the shapes."""
import sys
import time

import numpy as np

from script_runner import expect_error

import seqref


def expect(exc, fn, *args, must_mention=(), seconds=10.0, **kwargs):
    """A refusal within `seconds` (script_runner.expect_error)."""
    return expect_error(exc, fn, *args, must_mention=must_mention, seconds=seconds, **kwargs)


# ---- u's column count was never checked: rows x d entries were copied from a T x m result -------------------------

def test_rnn_u_columns_checked():
    A = np.eye(3) * 0.5
    u = np.ones((4, 30))
    for fn in (seqref.ref.rnn_sequential, seqref.cpu.rnn_sequential, seqref.ref.deer, seqref.cpu.deer):
        expect(ValueError, fn, A, u, must_mention=("u", "(4, 30)", "m=3"))
    expect(ValueError, seqref.ref.deer, A, np.ones((4, 3)), initial_guess=np.zeros((5, 3)),
           must_mention=("initial_guess", "(5, 3)"))
    expect(ValueError, seqref.ref.rnn_sequential, A, np.ones((4, 3)), np.zeros(4), must_mention=("x0", "(4,)"))


def test_gru_shapes_checked_against_each_other():
    d, m, T = 3, 2, 4
    W = {n: np.zeros((d, m)) for n in ("Wz", "Wr", "Wh")}
    U = {n: np.zeros((d, d)) for n in ("Uz", "Ur", "Uh")}
    b = {n: np.zeros(d) for n in ("bz", "br", "bh")}
    for fn in (seqref.ref.gru_sequential, seqref.ref.deer_gru):
        expect(ValueError, fn, **W, **U, **b, u=np.ones((T, 30)), must_mention=("u", "(4, 30)"))
        expect(ValueError, fn, **dict(W, Wr=np.zeros((d, m + 1))), **U, **b, u=np.ones((T, m)),
               must_mention=("Wr", "(3, 3)"))
        expect(ValueError, fn, **W, **dict(U, Uh=np.zeros((d, 5))), **b, u=np.ones((T, m)), must_mention=("Uh",))
        expect(ValueError, fn, **W, **U, **dict(b, bh=np.zeros(7)), u=np.ones((T, m)), must_mention=("bh", "(7,)"))
    out = seqref.ref.gru_sequential(**W, **U, **b, u=np.ones((T, m)))
    assert out.shape == (T, d)


# ---- explicit thread counts ---------------------------------------------------------------------------------------

def test_threads_bounded():
    J, b = np.full((1, 8, 2), 0.5), np.ones((1, 8, 2))
    expect(ValueError, seqref.cpu.linear_recurrence, J, b, threads=10**6,
           must_mention=("seqref::cpu::linear_recurrence", "threads", "1000000"))
    expect(ValueError, seqref.cpu.linear_recurrence, J, b, threads=-1, must_mention=("threads",))
    rng = np.random.default_rng(0)
    u = rng.standard_normal((1, 8, 2))
    args = (u, np.abs(u), -np.ones((2, 3)), np.ones((1, 8, 3)), np.ones((1, 8, 3)))
    expect(ValueError, seqref.cpu.selective_scan, *args, threads=10**6,
           must_mention=("seqref::cpu::selective_scan", "threads"))
    # what a valid explicit count gives is what the default gives
    x1, _ = seqref.cpu.linear_recurrence(J, b, threads=1)
    x0, _ = seqref.cpu.linear_recurrence(J, b)
    assert np.array_equal(x0, x1)


# ---- zero-stride views whose copy cannot be allocated ------------------------------------------------------------

def test_huge_zero_stride_views_refused():
    big = np.broadcast_to(np.zeros((1, 1, 4)), (10**6, 10**6, 4))  # 4e12 elements, no memory
    small = np.zeros((2, 3, 4))
    forms = (seqref.ref.causal_attention, seqref.ref.causal_attention_rnn, seqref.ref.decode,
             seqref.cpu.causal_attention)
    for fn in forms:
        try:
            fn(big, big, big)
        except (ValueError, MemoryError) as e:
            assert "q" in str(e) or isinstance(e, MemoryError), str(e)
        else:
            raise AssertionError(f"{fn.__name__} accepted a 4e12-element view")
    expect(ValueError, seqref.ref.causal_attention, small, big, small, must_mention=("k",))
    huge_u = np.broadcast_to(np.zeros((1, 3)), (10**12, 3))
    expect(ValueError, seqref.ref.rnn_sequential, np.eye(3) * 0.5, huge_u, must_mention=("u", "GB"))
    expect(ValueError, seqref.ref.segsum, np.broadcast_to(np.zeros(1), (10**6,)), must_mention=("segsum",))


# ---- work and memory unbounded by the input's size ---------------------------------------------------------------

def test_generation_budget():
    model = seqref.ref.TinyDecoder(vocab=8, d_model=4, heads=2, layers=2, seed=1)
    for mode in ("kv_cached", "full_recompute", "constant_memory"):
        expect(ValueError, model.generate, [1], 10**12, mode, must_mention=("n_new", "budget"), seconds=2)
    expect(ValueError, seqref.ref.TinyDecoder, 10**12, 4, 2, 2, 1, must_mention=("vocab", "budget"), seconds=2)
    assert len(model.generate([1], 5, "kv_cached")["tokens"]) == 6


def test_kernel_budgets():
    expect(ValueError, seqref.ref.s4_legs_kernels, np.ones(20000), 8, 0.1, must_mention=("N = 20000",), seconds=5)
    expect(ValueError, seqref.ref.s4_legs_kernels, np.ones(4), 10**12, 0.1, must_mention=("L = ",), seconds=5)
    expect(ValueError, seqref.ref.s4_kernel_errors, np.ones(3), 10**9, 0.1, must_mention=("L = ",), seconds=5)
    expect(ValueError, seqref.ref.s4d_kernel, "lin", np.ones(4, complex), 0.1, 10**12, seconds=5)
    expect(ValueError, seqref.ref.rtf_kernel, [0.1], [1.0], 10**12, seconds=5)
    expect(ValueError, seqref.ref.dense_kernel, np.eye(2) * 0.5, np.ones((2, 1)), np.ones((1, 2)), 10**12, seconds=5)
    expect(ValueError, seqref.ref.hippo_transition, "legs", 10**6, seconds=5)
    expect(ValueError, seqref.ref.hippo_basis, "legt", "paper", 10**12, np.zeros(3), seconds=5)
    expect(ValueError, seqref.ref.legs_online, np.ones(4), 10**9, seconds=5)
    expect(ValueError, seqref.cpu.hippo_legs_online, np.ones((2, 4)), 10**12, seconds=5)
    expect(ValueError, seqref.cpu.rtf_kernel, np.zeros((2, 2)), np.zeros((2, 2)), 10**12, seconds=5)
    expect(ValueError, seqref.ref.deer, np.eye(2) * 0.1, np.ones((4, 2)), max_sweeps=10**15, method="fixed_a",
           must_mention=("max_sweeps",), seconds=5)


# ---- dtype messages say what was expected and what was given -----------------------------------------------------

def test_dtype_messages():
    obj = np.array([[1.0, None]], dtype=object)
    text = np.array([["a", "b"]])
    cases = [
        (seqref.cpu.ssd, (np.zeros((1, 2, 1, 1), dtype=object), np.zeros((1, 2, 1)), np.zeros((1, 2, 1, 1)),
                          np.zeros((1, 2, 1, 1))), ("X", "object")),
        (seqref.ref.segsum, (np.array(["a", "b"]),), ("a", "<U1")),
        (seqref.ref.linear_recurrence, (np.zeros((1, 2)), np.zeros((1, 2, 1), complex)), ("b", "complex128")),
        (seqref.cpu.cauchy_kernel, (text, text, np.zeros(2)), ("w", "<U1", "complex64")),
        (seqref.cpu.rtf_kernel, (obj, obj, 4), ("a", "object")),
        (seqref.ref.rnn_sequential, (np.eye(2, dtype=complex), np.ones((3, 2))), ("A", "complex128", "float64")),
        (seqref.ref.causal_attention, (np.zeros((1, 2, 2), int),) * 3, ("q", "int64", "float32 or float64")),
        (seqref.cpu.hippo_legs_online, (text, 4), ("u", "<U1")),
    ]
    for fn, args, needles in cases:
        expect(ValueError, fn, *args, must_mention=needles)
    expect(ValueError, seqref.ref.legs_matvec, None, must_mention=("x", "None"))


if __name__ == "__main__":
    from script_runner import run

    sys.exit(run(globals()))
