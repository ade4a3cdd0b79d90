"""Both chapter notebooks, executed top to bottom by a real Jupyter kernel."""

import os
import re

import pytest

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

NOTEBOOKS = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks")


def text_of(cell):
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(o["text"])
        elif "data" in o and "text/plain" in o["data"]:
            out.append(o["data"]["text/plain"])
    return "".join(out)


@pytest.mark.parametrize("name", ["ch04.ipynb", "ch04.en.ipynb"])
def test_the_notebook_runs_and_learns(name):
    path = os.path.join(NOTEBOOKS, name)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}).execute()
    cells = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    out = "\n".join(text_of(c) for c in cells)
    # The book's worked values.
    assert "0.09750000000000003 0.5975" in out
    assert "0.510825457099338 2.302584092994546" in out
    assert "0.1999999999990898 0.2999999999986347" in out
    assert "[6. 8.]" in out
    # The numerical gradient agrees with backprop.
    check = text_of(next(c for c in cells if "grad_numerical" in c.source))
    diffs = [float(v) for v in re.findall(r"^[Wb][12] (\S+)$", check, re.M)]
    assert len(diffs) == 4 and max(diffs) < 1e-6, check
    # Accuracies: the book's loop (2,000 iterations), then manabi.train (10,000).
    book = [float(v) for v in re.findall(r"^train acc, test acc \| \S+, (\S+)$", out, re.M)]
    assert len(book) >= 20 and book[-1] > 0.85, book
    trained = [float(v) for v in re.findall(r"^epoch +\d+: train acc, test acc \| \S+, (\S+)$", out, re.M)]
    assert trained and trained[-1] > 0.9, trained
    final = re.search(r"^final train acc, test acc \| (\S+), (\S+)$", out, re.M)
    assert final and float(final.group(2)) > 0.9
    # Figures 4-11 and 4-12, inline.
    pngs = [o for c in cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) == 2
