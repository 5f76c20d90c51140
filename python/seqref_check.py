#!/usr/bin/env python3
"""seqref check: judge a kernel's output, written by any language, against seqref (seqref.testing.check).

usage: seqref check --method FAMILY/METHOD --inputs in.npz --candidate out.npz [--json] [options]

  --inputs in.npz        the method's inputs by the names of its seqref.ref function (`--signature` lists them):
                         arrays; 0-d arrays are numbers (bool: 0/1) or, for strings, options (e.g. discretization)
  --candidate out.npz    the kernel's output: the file's only array, or the one named by --key
                         (a .npy file works too)
  --key NAME             which array of out.npz is the candidate
  --dtype DTYPE          the candidate's precision when the file cannot say it: float32 values that are bfloat16
                         numbers, say. Arrays of dtype uint16 are read as bfloat16 bit patterns (NumPy has no bfloat16)
                         in both files.
  --json                 print the verdict as one JSON object (stdout) instead of the report
  --K K                  override the method's K; --threads N; --no-progress
  --signature            print the method's inputs and output and exit
  --list                 print the registered methods and exit

Exit status: 0 the candidate passes, 1 it fails (or has NaN/inf), 2 usage or input error (unknown method, shapes that
disagree, a file that cannot be read), with the reason on stderr.
"""
import argparse
import json
import sys


def die(message):
    print(f"seqref check: {message}", file=sys.stderr)
    sys.exit(2)


def load(path, what):
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is a usage error
        die(f"cannot read {what} '{path}': {e}")
    if isinstance(data, np.ndarray):
        return {"candidate": data}
    return {k: data[k] for k in data.files}


def as_value(np, name, a):
    """An npz entry as what seqref.testing.check takes: bf16 bits widened (marked), 0-d as scalars."""
    if a.dtype == np.uint16:
        return (a.astype(np.uint32) << 16).view(np.float32), True
    if a.ndim == 0:
        if a.dtype.kind in "US":
            return str(a), False
        if a.dtype.kind == "b":
            return bool(a), False
        if a.dtype.kind in "iuf":
            return float(a), False
    return a, False


def main(argv):
    p = argparse.ArgumentParser(prog="seqref check", add_help=True, description=__doc__.split("\n")[0])
    p.add_argument("--method")
    p.add_argument("--inputs")
    p.add_argument("--candidate")
    p.add_argument("--key")
    p.add_argument("--dtype")
    p.add_argument("--json", action="store_true")
    p.add_argument("--K", type=float)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--signature", action="store_true")
    p.add_argument("--list", action="store_true")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        sys.exit(0 if e.code == 0 else 2)

    try:
        import numpy as np
        import seqref
    except ImportError as e:
        die(f"cannot import seqref/numpy ({e}); run it as `./seqref check ...` or put build/python on PYTHONPATH")

    if args.list:
        print("\n".join(seqref.testing.methods()))
        return 0
    if not args.method:
        die("--method is required (--list shows the methods)")
    try:
        if args.signature:
            print(seqref.testing.signature(args.method))
            return 0
    except ValueError as e:
        die(str(e))
    if not args.inputs or not args.candidate:
        die("--inputs and --candidate are required")

    inputs = {}
    for name, a in load(args.inputs, "--inputs").items():
        inputs[name], _ = as_value(np, name, a)
    cands = load(args.candidate, "--candidate")
    if args.key:
        if args.key not in cands:
            die(f"--candidate has no array '{args.key}'; it has {', '.join(sorted(cands))}")
        cand = cands[args.key]
    elif len(cands) == 1:
        cand = next(iter(cands.values()))
    else:
        die(f"--candidate has several arrays ({', '.join(sorted(cands))}); name one with --key")
    cand, is_bf16 = as_value(np, "candidate", cand)
    dtype = args.dtype or ("bfloat16" if is_bf16 else None)
    if not isinstance(cand, np.ndarray):
        die("the candidate must be an array")

    try:
        verdict = seqref.testing.check(args.method, cand, K=args.K, threads=args.threads,
                                       progress=False if args.no_progress else None, candidate_dtype=dtype,
                                       **inputs)
    except ValueError as e:
        die(str(e))
    if args.json:
        print(json.dumps(verdict.to_dict()))
    else:
        print(verdict.report())
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
