#!/usr/bin/env python3
"""Run README.md's "Use from Python" example the way the README says: its `./seqref python ...` command lines, from
the source root, with the Python block saved as example.py, under a PATH whose first `python3` has no NumPy (as on a
machine with a pyenv interpreter first on PATH). Fails if a command fails or prints no version / no difference.
Then the README's first example ("Check your own kernel": a user's PyTorch attention judged by seqref.testing),
saved as check_mine.py and run with `./seqref python check_mine.py` as its comment says: both verdicts must PASS
and the printed lines' shape must be the one the README shows (numbers may differ between machines).

usage: readme_python_example.py SOURCE_DIR BUILD_DIR
"""

import os
import re
import subprocess
import sys
import tempfile


def section(text, heading):
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end >= 0 else len(text)]


def main():
    root, build = (os.path.abspath(a) for a in sys.argv[1:3])
    use = section(open(os.path.join(root, "README.md"), encoding="utf-8").read(), "## Use from Python")
    sh = re.search(r"```sh\n(.*?)```", use, re.S).group(1)
    py = re.search(r"```python\n(.*?)```", use, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in sh.splitlines() if line.startswith("./seqref python")]
    assert len(commands) == 2, commands

    with tempfile.TemporaryDirectory() as tmp:
        # A python3 without NumPy first on PATH: Debian's interpreter with its site-packages switched off.
        shim = os.path.join(tmp, "bin")
        os.mkdir(shim)
        with open(os.path.join(shim, "python3"), "w") as f:
            f.write("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n")
        os.chmod(os.path.join(shim, "python3"), 0o755)
        env = dict(os.environ, PATH=shim + os.pathsep + os.environ.get("PATH", ""), SEQREF_BUILD_DIR=build,
                   SEQREF_JOBS=os.environ.get("SEQREF_JOBS", "1"))
        env.pop("PYTHONPATH", None)
        bare = subprocess.run(["python3", "-c", "import numpy"], env=env, capture_output=True)
        assert bare.returncode != 0, "the shim python3 imports numpy: the test would not test anything"

        with open(os.path.join(tmp, "example.py"), "w") as f:
            f.write(py)
        outputs = []
        for cmd in commands:
            run = subprocess.run(["bash", "-c", cmd.replace("example.py", os.path.join(tmp, "example.py"))],
                                 cwd=root, env=env, capture_output=True, text=True, timeout=600)
            print(f"$ {cmd}\n{run.stdout}{run.stderr[-2000:] if run.returncode else ''}")
            assert run.returncode == 0, f"{cmd}: exit {run.returncode}"
            outputs.append(run.stdout)
    assert re.fullmatch(r"\d+\.\d+\.\d+\s*", outputs[0]), outputs[0]
    diff = float(re.search(r"max \|o_cpu - o_ref\| = (\S+)", outputs[1]).group(1))
    assert 0 <= diff < 1e-4, diff  # f32 flash kernel vs f32 reference, outputs of size ~0.1
    print("README Python example: ok")

    check = section(open(os.path.join(root, "README.md"), encoding="utf-8").read(), "## Check your own kernel")
    py = re.search(r"```python\n(.*?)```", check, re.S).group(1)
    assert "./seqref python check_mine.py" in py.splitlines()[0], py.splitlines()[0]
    shown = re.search(r"prints[^\n]*\n\n```\n(.*?)```", check, re.S).group(1).strip().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "check_mine.py"), "w") as f:
            f.write(py)
        env = dict(os.environ, SEQREF_BUILD_DIR=build, SEQREF_JOBS=os.environ.get("SEQREF_JOBS", "1"))
        env.pop("PYTHONPATH", None)
        # torch is Debian's python3-torch (tools/install-deps), for the interpreter `./seqref python` picks
        run = subprocess.run(["./seqref", "python", os.path.join(tmp, "check_mine.py")], cwd=root, env=env,
                             capture_output=True, text=True, timeout=600)
        print(f"$ ./seqref python check_mine.py\n{run.stdout}{run.stderr[-2000:] if run.returncode else ''}")
        assert run.returncode == 0, f"exit {run.returncode}"
    lines = run.stdout.strip().splitlines()
    assert len(lines) == len(shown) == 2, (lines, shown)
    shape = re.compile(r"(PASS|FAIL) (\S+) (\S+) (\[[^]]*\]): error \S+u <= 4 x max\(reference \S+u, 1\) = \S+u")
    for got, want in zip(lines, shown):
        g, w = shape.fullmatch(got), shape.fullmatch(want)
        assert g and w and g.groups() == w.groups(), (got, want)
    print("README check example: ok")


if __name__ == "__main__":
    main()
