"""Hostile input for seqref.testing.check, every registered method: random ranks and extents (0 included), dtypes
(float16/32/64, ints, bools, complex, object), values (NaN, inf, 1e300, subnormals), missing, extra and misnamed
arguments, numbers where arrays go and back, strings, huge broadcast views, and candidates of every shape. Every call
must return a Verdict or raise ValueError (TypeError for a keyword of the wrong Python type is pybind11's and allowed);
a crash, a hang or any other exception fails. Half the cases start from a valid call (shapes found by perturbing a
working example) so the checks past the first ones are reached too. Deterministic: the seed is printed; set
SEQREF_FUZZ_SEED / SEQREF_FUZZ_CASES to hunt."""
import os
import sys
import time

import numpy as np

from seqref import testing

SEED = int(os.environ.get("SEQREF_FUZZ_SEED", "4242"))
CASES = int(os.environ.get("SEQREF_FUZZ_CASES", "1000"))
print(f"seed {SEED}, {CASES} cases per method")
rng = np.random.default_rng(SEED)

DTYPES = [np.float64, np.float32, np.float16, np.int32, np.bool_, np.complex64, object]
SPECIAL = [np.nan, np.inf, -np.inf, 1e300, -1e300, 5e-324, 0.0, 1e30]


def poke(a):
    """One special value into a (where its dtype can hold it)."""
    if isinstance(a, np.ndarray) and a.size and a.flags.writeable:
        with np.errstate(all="ignore"):
            try:
                a.flat[int(rng.integers(0, a.size))] = SPECIAL[int(rng.integers(0, len(SPECIAL)))]
            except (ValueError, TypeError, OverflowError):
                pass


def rand_array(rank=None, extents=None, dtype=None):
    rank = int(rng.integers(0, 5)) if rank is None else rank
    shape = extents if extents is not None else tuple(int(rng.integers(0, 6)) for _ in range(rank))
    dt = dtype or DTYPES[int(rng.integers(0, len(DTYPES)))]
    a = rng.standard_normal(shape)
    if a.size and rng.random() < 0.3:
        a.flat[int(rng.integers(0, a.size))] = SPECIAL[int(rng.integers(0, len(SPECIAL)))]
    with np.errstate(all="ignore"):
        return a.astype(dt)


def rand_value():
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.3:
        return float(SPECIAL[int(rng.integers(0, len(SPECIAL)))])
    if r < 0.4:
        return "x" * int(rng.integers(0, 4))
    if r < 0.5:
        return int(rng.integers(-3, 5))
    if r < 0.55:
        return np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**5, 10**5, 10**3), strides=(0, 0, 0))
    return rand_array()


# A valid call per method (small, every optional argument present), so the perturbed cases reach the checks past the
# first ones. A method without an entry here is fuzzed with random calls only, and the test says so.
def nrm(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


EXAMPLES = {
    "attention/causal_attention": lambda: ({"q": nrm(2, 5, 3), "k": nrm(2, 5, 3), "v": nrm(2, 5, 4), "scale": 0.5}, (2, 5, 4)),
    "rnn/deer": lambda: ({"A": nrm(3, 3, scale=0.3), "u": nrm(2, 6, 3), "x0": nrm(2, 3)}, (2, 6, 3)),
    "scan/linear_recurrence": lambda: ({"J": nrm(2, 5, 3, 3, scale=0.3), "b": nrm(2, 5, 3), "x0": nrm(2, 3)}, (2, 5, 3)),
    "ssm/fft": lambda: ({"kernel": nrm(3, 7), "u": nrm(3, 7)}, (3, 7)),
    "ssm/hippo": lambda: ({"u": nrm(2, 9), "N": 4, "convention": "paper", "scheme": "bilinear", "weight": "inverse_k",
                           "dt": 1.0}, (2, 9, 4)),
    "ssm/rtf": lambda: ({"a": nrm(2, 3, scale=0.2), "b": nrm(2, 3), "L": 8}, (2, 8)),
    "ssm/s4": lambda: ({"C": nrm(2, 3, 2), "Lambda": np.stack([-0.5 - rng.random((2, 3)), nrm(2, 3)], -1), "B": nrm(2, 3, 2),
                        "dt": 0.1 + rng.random(2), "L": 6}, (2, 6)),
    "ssm/selective_scan": lambda: ({"u": nrm(2, 5, 3), "delta": rng.random((2, 5, 3)), "A": -rng.random((3, 4)),
                                    "B": nrm(2, 5, 4), "C": nrm(2, 5, 4), "D": nrm(3), "z": nrm(2, 5, 3), "delta_bias": nrm(3),
                                    "h0": nrm(2, 3, 4), "delta_softplus": True, "discretization": "zoh"}, (2, 5, 3)),
    "ssm/ssd": lambda: ({"X": nrm(2, 5, 2, 3), "A": -rng.random((2, 5, 2)), "B": nrm(2, 5, 1, 4), "C": nrm(2, 5, 1, 4),
                         "h0": nrm(2, 2, 3, 4)}, (2, 5, 2, 3)),
}


def example(method):
    if method not in EXAMPLES:
        return None
    inputs, shape = EXAMPLES[method]()
    v = testing.check(method, rng.standard_normal(shape), progress=False, **inputs)  # must be a valid call
    assert isinstance(v.passed, bool), method
    return inputs, shape


allowed = (ValueError, TypeError)
t0 = time.time()
total = 0
for method in testing.methods():
    args = testing.arguments(method)
    ex = example(method)
    print(f"{method}: {'a valid example and its perturbations' if ex else 'NO valid example: random calls only'}; "
          f"arguments {args}")
    counts = {"verdict": 0, "ValueError": 0, "TypeError": 0}
    for case in range(CASES):
        if ex and rng.random() < 0.5:
            inputs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in ex[0].items()}
            cand = rng.standard_normal(ex[1]).astype(DTYPES[int(rng.integers(0, 3))])
            # one or two perturbations of a valid call
            for _ in range(int(rng.integers(1, 3))):
                r = rng.random()
                names = list(inputs)
                if r < 0.25 and names:
                    name = names[int(rng.integers(0, len(names)))]
                    a = inputs[name]
                    ext = list(getattr(a, "shape", (2,))) if getattr(a, "size", 0) < 10**6 else [2, 2]
                    if ext:
                        ext[int(rng.integers(0, len(ext)))] = int(rng.integers(0, 7))
                    inputs[name] = rand_array(extents=tuple(ext), dtype=np.float64)
                elif r < 0.4 and names:
                    inputs[names[int(rng.integers(0, len(names)))]] = rand_value()
                elif r < 0.55:
                    ext = list(getattr(cand, "shape", (2,))) if getattr(cand, "size", 0) < 10**6 else [2, 2]
                    if ext:
                        ext[int(rng.integers(0, len(ext)))] += int(rng.integers(-1, 2))
                    cand = rand_array(extents=tuple(max(e, 0) for e in ext))
                elif r < 0.7:
                    poke(cand)
                elif r < 0.8:
                    pool = args["numbers"] + args["strings"] + ["bogus"]
                    inputs[pool[int(rng.integers(0, len(pool)))]] = rand_value()
                elif r < 0.9 and names:
                    poke(inputs[names[int(rng.integers(0, len(names)))]])
                else:
                    kw = ["K", "threads", "yardstick_work", "candidate_dtype"][int(rng.integers(0, 4))]
                    inputs[kw] = [0.5, -1, 1e-300, "int8", 2.0, 300, None][int(rng.integers(0, 7))]
        else:
            names = args["arrays"] + args["numbers"] + args["strings"] + ["bogus"]
            inputs = {n: rand_value() for n in names if rng.random() < 0.8}
            cand = rand_value()
        try:
            v = testing.check(method, cand, progress=False, **inputs)
            assert isinstance(v.passed, bool) and not np.isnan(v.error_u) and not np.isnan(v.reference_error_u), v.report()
            counts["verdict"] += 1
        except allowed as e:
            counts[type(e).__name__] += 1
            if isinstance(e, TypeError) and counts["TypeError"] <= 2:
                print(f"  (TypeError: {e})")
        except Exception as e:  # noqa: BLE001 - anything else is a defect: report the case
            print(f"  case {case}: {type(e).__name__}: {e}")
            shown = ", ".join(f"{k}: {getattr(x, 'shape', x)!r}" for k, x in inputs.items())
            print(f"  inputs: {shown}; candidate: {getattr(cand, 'shape', cand)!r}")
            raise
        total += 1
    print(f"  {counts}")
print(f"test_check_fuzz: ok ({total} calls, {time.time() - t0:.1f} s)")
