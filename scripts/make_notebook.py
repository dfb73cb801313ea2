"""Make examples/quickstart.ipynb from examples/quickstart.py (jupytext "percent" cells: `# %%` code,
`# %% [markdown]` markdown, optional `tags=["chart"]`), execute it, store it with its outputs (GitHub shows
them), and copy its footprint chart to docs/quickstart_footprint.png for the README.

    .venv/bin/python scripts/make_notebook.py             # build, execute, store
    .venv/bin/python scripts/make_notebook.py --no-execute  # build only (no outputs)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "examples" / "quickstart.py"
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"
README_CHART = ("figures/06-footprint-by-category-and-object.png", ROOT / "docs" / "quickstart_footprint.png")
CELL = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")
TIMEOUT_S = 900


def cells_of(text: str) -> list[tuple[str, str, list[str]]]:
    """(kind, source, tags) of each percent cell, blank lines around a cell dropped, markdown un-commented."""
    cells, kind, tags, lines = [], None, [], []

    def close():
        if kind is None:
            if "".join(lines).strip():
                raise ValueError(f"{SOURCE.name}: text before the first `# %%` cell")
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
        cells.append((kind, body, tags))

    for line in text.splitlines():
        match = CELL.match(line)
        if match:
            close()
            kind = "markdown" if match["markdown"] else "code"
            tags, lines = json.loads(match["tags"]) if match["tags"] else [], []
        else:
            lines.append(line)
    close()
    return cells


def build(source: Path = SOURCE) -> nbformat.NotebookNode:
    """The notebook of `source`, without outputs."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, body, tags in cells_of(source.read_text()):
        cell = nbformat.v4.new_markdown_cell(body) if kind == "markdown" else nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    for i, cell in enumerate(notebook.cells):  # stable ids: the stored notebook changes only with its source
        cell.id = f"cell-{i:03d}"
    return notebook


def execute(notebook: nbformat.NotebookNode, cwd: Path, env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel (this Python's ipykernel) in `cwd`; raises on the first cell error."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    # No kernel directories: the kernel is ipykernel's native one, this Python, whatever kernels are installed.
    kernel = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    client = NotebookClient(notebook, km=kernel, timeout=TIMEOUT_S, record_timing=False,  # no timestamps in the file
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env={**os.environ, **(env or {})}, cleanup_kc=True)  # the kernel's environment; shut it down
    return notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-execute", action="store_true", help="store the notebook without outputs")
    args = parser.parse_args()
    notebook = build()
    if not args.no_execute:
        execute(notebook, NOTEBOOK.parent)
        chart, image = README_CHART
        image.parent.mkdir(exist_ok=True)
        shutil.copyfile(NOTEBOOK.parent / chart, image)
        print(f"wrote {image}")
    nbformat.write(notebook, NOTEBOOK)
    print(f"wrote {NOTEBOOK}")


if __name__ == "__main__":
    main()
