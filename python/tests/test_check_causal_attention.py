"""seqref.testing on attention/causal_attention: a user's PyTorch/NumPy attention judged in float32, float16,
bfloat16 and float64 (correct ones pass, an off-by-one mask fails with a readable verdict), NaN candidates, every
refusal (ValueError naming the argument), hostile sizes, and the `seqref check` command line (exit 0/1/2, --json).
Deterministic: fixed seeds."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import seqref
from seqref import testing
from script_runner import expect_error

try:
    import torch
except ImportError:  # torch is a Debian package (tools/install-deps); without it the torch cases are skipped
    torch = None

SEED = 20261203
print(f"seed {SEED}")
rng = np.random.default_rng(SEED)
M = "attention/causal_attention"


def expect_value_error(fn, *needles):
    """script_runner's expect_error for ValueError: the message must mention every needle."""
    return expect_error(ValueError, fn, must_mention=needles)


def numpy_attention(q, k, v, shift=0):
    """The user's NumPy attention in q's dtype; shift=1 is the off-by-one mask (row i sees key i+1)."""
    T = q.shape[1]
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    mask = np.triu(np.ones((T, T), bool), 1 + shift)
    s = np.where(mask, -np.inf, s)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


# ---- NumPy candidates -----------------------------------------------------------------------------------------
H, T, d = 3, 150, 32
q, k, v = (rng.standard_normal((H, T, d)) for _ in range(3))
for dt in (np.float32, np.float64):
    a, b, c = (x.astype(dt) for x in (q, k, v))
    good = testing.check(M, numpy_attention(a, b, c), q=a, k=b, v=c)
    print(good)
    assert good.passed and good and good.error_u <= good.bound_u, good.report()
    assert good.dtype == np.dtype(dt).name
    bad = testing.check(M, numpy_attention(a, b, c, shift=1), q=a, k=b, v=c)
    print(bad)
    assert not bad.passed and bad.error_u > 1e3 * bad.bound_u, bad.report()
    assert bad.summary().startswith("FAIL") and "worst at" in bad.summary()
    # the first rows differ first: row 0 sees key 1 under the bug
    assert bad.worst_index is not None and len(bad.worst_index) == 3
    try:
        testing.assert_verified(M, numpy_attention(a, b, c, shift=1), q=a, k=b, v=c, msg="my kernel")
        raise RuntimeError("assert_verified did not raise")
    except AssertionError as e:
        assert str(e).startswith("my kernel\nFAIL") and "worst element" in str(e) and "yardstick" in str(e)
    assert testing.assert_verified(M, numpy_attention(a, b, c), q=a, k=b, v=c).passed

# a float64 candidate that is really float32 arithmetic fails
a32 = numpy_attention(*(x.astype(np.float32) for x in (q, k, v))).astype(np.float64)
fake = testing.check(M, a32, q=q.astype(np.float32).astype(np.float64), k=k.astype(np.float32).astype(np.float64),
                     v=v.astype(np.float32).astype(np.float64))
print(fake)
assert not fake.passed and fake.error_u > 1e6 and "long double" in fake.truth

# the verdict's fields and JSON
d_ = good.to_dict()
for key in ("method", "dtype", "shape", "passed", "error_u", "reference_error_u", "K", "bound_u", "worst", "truth",
            "yardstick", "metric", "K_reason", "nonfinite"):
    assert key in d_, key
assert json.loads(good.json())["passed"] is True and d_["worst"]["index"] == list(good.worst_index)
assert "seqref::cpu::causal_attention" not in good.truth  # float64 candidate: long double reference
assert repr(good).startswith("<seqref.testing.Verdict PASS")

# ---- NaN, sampling, K --------------------------------------------------------------------------------------------
a, b, c = (x.astype(np.float32) for x in (q, k, v))
o = numpy_attention(a, b, c)
o_nan = o.copy()
o_nan[2, 149, 31] = np.nan
o_nan[1, 7, 0] = np.inf
r = testing.check(M, o_nan, q=a, k=b, v=c)
print(r)
assert not r.passed and r.nonfinite == 2 and r.first_nonfinite_index == (1, 7, 0) and r.error_u == float("inf")
s = testing.check(M, o, q=a, k=b, v=c, yardstick_work=1.0)
assert s.passed and " of 450 rows (" in s.yardstick, s.yardstick
o_bad = o.copy()
o_bad[2, 101, 5] += 1e-2
s = testing.check(M, o_bad, q=a, k=b, v=c, yardstick_work=1.0)
assert not s.passed and s.worst_index == (2, 101, 5), s.report()
assert testing.check(M, o_bad, q=a, k=b, v=c, K=1e9).passed  # K set by the caller is used and said
assert testing.check(M, o_bad, q=a, k=b, v=c, K=1e9).K_reason == "set by the caller"
assert testing.check("causal_attention", o, q=a, k=b, v=c, scale=1 / np.sqrt(d)).passed
assert not testing.check(M, o, q=a, k=b, v=c, scale=0.5).passed  # the scale is part of the problem

# ---- refusals ----------------------------------------------------------------------------------------------------
expect_value_error(lambda: testing.check("no/such", o, q=a, k=b, v=c), "unknown method 'no/such'", M)
expect_value_error(lambda: testing.check(M, o[:, :, :5], q=a, k=b, v=c), "candidate has shape [3, 150, 5]",
                   "[3, 150, 32]")
expect_value_error(lambda: testing.check(M, o, q=a, k=b[:, :10], v=c), "k must be [H=3, T=150, d=32]", "[3, 10, 32]")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, mask=a), "unknown array argument 'mask'")
expect_value_error(lambda: testing.check(M, o, q=a, k=b), "missing array argument 'v'")
expect_value_error(lambda: testing.check(M, o.astype(np.int32), q=a, k=b, v=c), "candidate has dtype int32")
expect_value_error(lambda: testing.check(M, o.astype(np.complex64), q=a, k=b, v=c), "candidate has dtype complex64")
expect_value_error(lambda: testing.check(M, o, q=a.astype(object), k=b, v=c), "q is not a numeric array")
expect_value_error(lambda: testing.check(M, o, q=a.astype(np.complex64), k=b, v=c), "q has dtype complex64",
                   "view_as_real")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, scale=np.complex128(1j)), "'scale' must be a real number")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, scale="big"), "unknown string argument 'scale'")
assert testing.check(M, o, q=a, k=b, v=c, scale=np.float32(1 / np.sqrt(d))).passed  # NumPy scalars are numbers
q_nan = a.copy()
q_nan[0, 3, 1] = np.nan
expect_value_error(lambda: testing.check(M, o, q=q_nan, k=b, v=c), "non-finite")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, candidate_dtype="bfloat16"), "is not a bfloat16 number")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, candidate_dtype="int4"), "dtype 'int4' is not supported")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, K=0.1), "K must be finite and >= 1")
expect_value_error(lambda: testing.check(M, o, q=a, k=b, v=c, threads=-1), "threads must be an integer in [0, 256]")
# hostile sizes: a broadcast view claiming 10^12 elements is refused before anything is copied
huge = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape=(10**4, 10**4, 10**4), strides=(0, 0, 0))
expect_value_error(lambda: testing.check(M, huge, q=a, k=b, v=c), "candidate")
expect_value_error(lambda: testing.check(M, o, q=huge, k=b, v=c), "q")
expect_value_error(lambda: testing.check(M, np.zeros((3, 0, 32), np.float32), q=a[:, :0], k=b[:, :0], v=c[:, :0]),
                   "q must be [H, T, d]")

# ---- torch tensors: float32, float16, bfloat16, float64 -----------------------------------------------------------
if torch is None:
    print("torch not available: torch cases skipped")
else:
    def torch_attention(q, k, v, shift=0):
        """The user's PyTorch attention: fp32 softmax and accumulation for 16-bit inputs (torch 1.13 CPU has no fp16
        matmul), the result in the input dtype."""
        T = q.shape[-2]
        qf, kf, vf = (x.float() if x.dtype in (torch.float16, torch.bfloat16) else x for x in (q, k, v))
        s = (qf @ kf.transpose(-1, -2)) / q.shape[-1] ** 0.5
        mask = torch.ones(T, T, dtype=torch.bool).triu(1 + shift)
        return (torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ vf).to(q.dtype)

    tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
    for dt in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        a_, b_, c_ = (x.to(dt) for x in (tq, tk, tv))
        r = testing.check(M, torch_attention(a_, b_, c_), q=a_, k=b_, v=c_)
        print(r)
        assert r.passed, r.report()
        assert r.dtype == str(dt).replace("torch.", ""), r.dtype
        assert r.reference_error_u > 0
        rb = testing.check(M, torch_attention(a_, b_, c_, shift=1), q=a_, k=b_, v=c_)
        print(rb)
        assert not rb.passed and rb.error_u > 10 * rb.bound_u, rb.report()
    # 16-bit yardsticks are the 16-bit references
    r16 = testing.check(M, torch_attention(tq.half(), tk.half(), tv.half()), q=tq.half(), k=tk.half(), v=tv.half())
    assert "Eigen::half" in r16.yardstick, r16.yardstick
    rbf = testing.check(M, torch_attention(tq.bfloat16(), tk.bfloat16(), tv.bfloat16()), q=tq.bfloat16(),
                        k=tk.bfloat16(), v=tv.bfloat16())
    assert "Eigen::bfloat16" in rbf.yardstick, rbf.yardstick
    # non-contiguous and requires_grad tensors are read as they are
    tq32 = tq.float().requires_grad_(True)
    out_t = torch_attention(tq32.detach(), tk.float(), tv.float())
    assert testing.check(M, out_t.transpose(1, 2).contiguous().transpose(1, 2), q=tq32, k=tk.float(),
                         v=tv.float()).passed
    expect_value_error(lambda: testing.check(M, out_t.to(torch.int32), q=tq32, k=tk.float(), v=tv.float()),
                       "torch.int32")
    expect_value_error(lambda: testing.check(M, out_t.to(torch.complex64), q=tq32, k=tk.float(), v=tv.float()),
                       "torch.complex64")

# ---- the command line ----------------------------------------------------------------------------------------------
cli = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "seqref_check.py")
with tempfile.TemporaryDirectory() as tmp:
    a, b, c = (x.astype(np.float32) for x in (q, k, v))
    np.savez(os.path.join(tmp, "in.npz"), q=a, k=b, v=c, scale=np.float64(1 / np.sqrt(d)))
    np.savez(os.path.join(tmp, "good.npz"), out=numpy_attention(a, b, c))
    np.savez(os.path.join(tmp, "bad.npz"), out=numpy_attention(a, b, c, shift=1))
    np.savez(os.path.join(tmp, "two.npz"), out=numpy_attention(a, b, c), other=a)
    if torch is not None:  # bfloat16 bits as uint16 (NumPy has no bfloat16)
        bits = torch_attention(tq.bfloat16(), tk.bfloat16(), tv.bfloat16()).view(torch.int16).numpy().view(np.uint16)
        np.savez(os.path.join(tmp, "bf16.npz"), out=bits)

    def run(*args):
        p = subprocess.run([sys.executable, cli, *args], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    base = ["--method", M, "--inputs", os.path.join(tmp, "in.npz"), "--candidate"]
    rc, out, err = run(*base, os.path.join(tmp, "good.npz"))
    assert rc == 0 and out.startswith("PASS"), (rc, out, err)
    rc, out, err = run(*base, os.path.join(tmp, "bad.npz"), "--json")
    assert rc == 1, (rc, out, err)
    j = json.loads(out)
    assert j["passed"] is False and j["method"] == M and j["worst"]["index"][0] in range(3)
    rc, out, err = run(*base, os.path.join(tmp, "two.npz"))
    assert rc == 2 and "several arrays" in err, (rc, err)
    rc, out, err = run(*base, os.path.join(tmp, "two.npz"), "--key", "out")
    assert rc == 0, (rc, out, err)
    rc, out, err = run("--method", "nope", "--inputs", os.path.join(tmp, "in.npz"), "--candidate",
                       os.path.join(tmp, "good.npz"))
    assert rc == 2 and "unknown method 'nope'" in err, (rc, err)
    rc, out, err = run(*base, os.path.join(tmp, "missing.npz"))
    assert rc == 2 and "cannot read --candidate" in err, (rc, err)
    rc, out, err = run("--list")
    assert rc == 0 and M in out.split()
    if torch is not None:
        rc, out, err = run(*base, os.path.join(tmp, "bf16.npz"))
        assert rc == 0 and "bfloat16" in out.splitlines()[0], (rc, out, err)

print("test_check_causal_attention: ok")
