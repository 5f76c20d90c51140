#!/usr/bin/env python3
"""The `seqref report` command line: --out naming a file is refused (exit 2, nothing written, the file untouched);
--method may be repeated and runs the union of the methods; an unknown method is refused; report.json gives every
check a "status" of "pass", "fail" or "skipped", and its summary counts agree with the statuses.

usage: report_cli.py SEQREF_BINARY METHOD_A METHOD_B
  METHOD_A, METHOD_B: two registered methods with quick checks; METHOD_B has a cuda check (skipped here: the test
  hides every CUDA device, so a skipped check is there to be counted on any machine).
"""

import json
import os
import subprocess
import sys
import tempfile


def report(binary, *args, env=None):
    return subprocess.run([binary, "report", *args], capture_output=True, text=True, env=env, timeout=600)


def main():
    binary, method_a, method_b = sys.argv[1:4]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # no device: cuda checks are skipped, even on a GPU machine

    with tempfile.TemporaryDirectory() as tmp:
        # --out naming an existing regular file: refused before any check runs, the file left as it was.
        path = os.path.join(tmp, "a-file")
        with open(path, "w") as f:
            f.write("keep me\n")
        r = report(binary, "--method", method_a, "--out", path, env=env)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        assert "not a directory" in r.stderr and path in r.stderr, r.stderr
        assert "wrote" not in r.stdout, r.stdout
        assert open(path).read() == "keep me\n"

        # --out under a file (cannot be created): refused too.
        r = report(binary, "--method", method_a, "--out", os.path.join(path, "sub"), env=env)
        assert r.returncode == 2 and "wrote" not in r.stdout, (r.returncode, r.stdout, r.stderr)

        # An unknown method, alone or next to a known one: refused, the registered methods listed.
        for args in (["--method", "no/such_method"], ["--method", method_a, "--method", "no/such_method"]):
            r = report(binary, *args, "--out", tmp, env=env)
            assert r.returncode == 2 and "no/such_method" in r.stderr and method_a in r.stderr, (args, r.stderr)

        # --list with two methods: their checks, both, and only those.
        listed = report(binary, "--list", "--method", method_a, "--method", method_b, env=env)
        assert listed.returncode == 0, listed.stderr
        methods = {line.split(" | ")[0] for line in listed.stdout.splitlines() if " | " in line}
        assert methods == {method_a, method_b}, methods

        # Two methods (one repeated): the union, each check once, in registration order; statuses and counts.
        out = os.path.join(tmp, "out")
        r = report(binary, "--method", method_b, "--method", method_a, "--method", method_b, "--out", out, env=env)
        assert r.returncode in (0, 1), (r.returncode, r.stdout, r.stderr)
        doc = json.load(open(os.path.join(out, "report.json")))
        checks = doc["checks"]
        assert {c["method"] for c in checks} == {method_a, method_b}
        names = [(c["method"], c["check"]) for c in checks]
        assert len(names) == len(set(names)), "a check ran twice"
        assert len(checks) == len([l for l in listed.stdout.splitlines() if " | " in l])
        for c in checks:
            assert "pass" not in c, c  # replaced by "status"
            assert c["status"] in ("pass", "fail", "skipped"), c
            assert (c["status"] == "skipped") == (c["skipped"] is not None), c
        counts = {s: sum(c["status"] == s for c in checks) for s in ("pass", "fail", "skipped")}
        assert doc["summary"] == {"passed": counts["pass"], "failed": counts["fail"], "skipped": counts["skipped"]}
        assert counts["skipped"] >= 1, "no skipped check: the cuda check of %s ran" % method_b
        assert all(c["backend"] == "cuda" for c in checks if c["status"] == "skipped")
        assert (r.returncode == 0) == (counts["fail"] == 0)
        md = open(os.path.join(out, "report.md")).read()
        assert f'{counts["pass"]} passed, {counts["fail"]} failed, {counts["skipped"]} skipped' in md
    print("seqref report command line: ok")


if __name__ == "__main__":
    main()
