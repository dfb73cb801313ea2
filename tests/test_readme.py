"""The README's Python example runs and gives a positive total."""
import re

from conftest import ROOT


def test_readme_python_example_runs():
    code = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    namespace: dict = {}
    exec(code, namespace)
    totals = namespace["results"].total_footprint_kg()
    assert list(totals) == ["System"] and totals["System"] > 0
