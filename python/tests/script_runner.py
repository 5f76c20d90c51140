"""Runs a test file's test_* functions as a plain script (what CTest does; pytest is optional).

    if __name__ == "__main__":
        from script_runner import run
        sys.exit(run(globals()))

Every test runs even after a failure; each failure prints its traceback; the exit status is 1 if any failed.
"""
import traceback


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
