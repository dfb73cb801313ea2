"""The README's Python example runs and gives a positive total."""
import re

import pytest

from conftest import ROOT


def test_readme_python_example_runs():
    code = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    namespace: dict = {}
    exec(code, namespace)
    totals = namespace["results"].total_footprint_kg()
    assert list(totals) == ["System"] and totals["System"] > 0


def test_readme_edge_example_runs():
    readme = (ROOT / "README.md").read_text().split("### Edge computing in Python")[1]
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    namespace: dict = {}
    exec(code, namespace)
    # 4,383 deployments (0 to 1 a hour over 8,766 hours), 6 kiosks each, 100 kg each over 2 of their 6 years
    kg = namespace["kiosk"].instances_manufacturing_footprint.sum().to("kg").magnitude
    assert kg == pytest.approx(4383 * 6 * 100 * 2 / 6, rel=1e-6)
