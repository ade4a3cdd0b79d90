"""The README's Python example runs as written and prints what it says."""

import contextlib
import io
import os
import re

import pytest

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.mark.parametrize("page", ["README.md", "README.ja.md"])
def test_the_readme_example_runs(page):
    text = open(os.path.join(REPO, page), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1, f"{page}: one Python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) == 5, "a five-line example"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        exec(compile(code, page, "exec"), {})
    printed = float(out.getvalue())
    said = re.search(r"(0\.\d+)\s*$", code.strip().splitlines()[-1]).group(1)
    assert round(printed, len(said) - 2) == float(said), (printed, said)
