"""Runs a test file's test_* functions as a plain script (what CTest does; pytest is optional).

    if __name__ == "__main__":
        from script_runner import run
        sys.exit(run(globals()))

Every test runs even after a failure; each failure prints its traceback; the exit status is 1 if any failed.
"""
import time
import traceback


def expect_error(exc_type, fn, *args, must_mention=(), seconds=None, **kwargs):
    """Call fn and require exc_type, raised within `seconds` if given (a refusal, not a run until killed); the
    message must contain every string in must_mention. Returns the message."""
    t0 = time.time()
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        message = str(e)
        for word in must_mention:
            assert word in message, f"message {message!r} does not mention {word!r}"
        if seconds is not None:
            assert time.time() - t0 < seconds, f"refused only after {time.time() - t0:.1f} s: {message}"
        return message
    except Exception as e:  # the wrong exception type
        raise AssertionError(f"expected {exc_type.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise {exc_type.__name__}")


def judged(method, candidate, inputs, **kw):
    """seqref.testing.check(method, candidate, **inputs, **kw), its summary printed (the test_check_* files)."""
    import seqref

    v = seqref.testing.check(method, candidate, **inputs, **kw)
    print("  " + v.summary())
    return v


def passes(v):
    """A verdict that must pass, with its report as the failure message."""
    assert v.passed, v.report()
    assert v.error_u <= v.bound_u and v.nonfinite == 0, v.report()
    return v


def as_torch(inputs, dtype):
    """The NumPy arrays of `inputs` as torch tensors of `dtype` (other values as they are)."""
    import numpy as np
    import torch

    return {k: (torch.from_numpy(v).to(dtype) if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def run(namespace):
    tests = sorted((name, fn) for name, fn in namespace.items() if name.startswith("test_") and callable(fn))
    failed = 0
    for name, fn in tests:
        try:
            fn()
        except Exception:  # noqa: BLE001 - report every failure, then exit non-zero
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            print(f"ok   {name}")
    seqref = namespace.get("seqref")
    where = f" (seqref {seqref.__version__} from {seqref.__file__})" if seqref is not None else ""
    print(f"{len(tests) - failed}/{len(tests)} passed{where}")
    return 1 if failed else 0
