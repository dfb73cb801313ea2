"""A portfolio of 100 systems (the four public scenarios, 25 copies each, every copy's carbon intensities and
lifespans perturbed) with efp_tables in one computation, and with efootprint 27.0.0 loading and computing them one
by one, in one run; totals compared.

    .venv/bin/python benchmarks/portfolio.py [--copies N] [--repeat N]

Both read the JSON files and compute every system's total footprint (no output written): efootprint with
json_to_system + System.total_footprint per file, efp_tables with read_models (the files read and validated as one
portfolio), then compute + total_footprint_kg; efp_tables' read (and validation) time is also shown apart. Best of
N runs each (default 3), wall clock, same process."""
import argparse
import json
import logging
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import efootprint_live  # noqa: E402,F401  (first: name-based ids before efootprint loads)

from compute import REFERENCE, best_of, run_efootprint  # noqa: E402

from efp_tables.compute import compute  # noqa: E402
from efp_tables.io.efootprint_json import read_models  # noqa: E402

PERTURBED = ("average_carbon_intensity", "lifespan")
# The portfolio: the four public scenarios (edge and GenAI models compute in portfolios too; the issue
# names these four).
SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow"]


def perturbed_copies(folder: Path, copies: int) -> list[Path]:
    """`copies` files per scenario, each numeric input named in PERTURBED multiplied by a factor in [0.8, 1.2]."""
    rng, paths = random.Random(0), []
    for scenario in SCENARIOS:
        document = json.loads((REFERENCE / f"{scenario}.json").read_text())
        for copy in range(copies):
            variant = json.loads(json.dumps(document))
            for objects in variant.values():
                for obj in objects.values() if isinstance(objects, dict) else ():
                    for attribute in PERTURBED:
                        if isinstance(obj, dict) and isinstance(obj.get(attribute), dict) and "value" in obj[attribute]:
                            obj[attribute]["value"] *= rng.uniform(0.8, 1.2)
            path = folder / f"{scenario}_{copy:02d}.json"
            path.write_text(json.dumps(variant))
            paths.append(path)
    return paths


def read_efp(paths: list[Path]):
    return read_models(paths, [path.stem for path in paths])


def run_efp(paths: list[Path]) -> dict[str, float]:
    return compute(read_efp(paths)).total_footprint_kg()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        paths = perturbed_copies(Path(folder), args.copies)
        ours = run_efp(paths)
        theirs = {path.stem: run_efootprint(path) for path in paths}
        worst = max(abs(ours[name] - kg) / kg for name, kg in theirs.items())
        ef = best_of(args.repeat, lambda: [run_efootprint(path) for path in paths])
        efp = best_of(args.repeat, lambda: run_efp(paths))
        read = best_of(args.repeat, lambda: read_efp(paths))
    print(f"{len(paths)} systems: efootprint one by one {ef:.2f} s, efp_tables as one portfolio {efp:.2f} s "
          f"(read and validated {read:.2f} s, computed {efp - read:.2f} s): {ef / efp:.1f}x; worst relative "
          f"difference of the totals {worst:.1e}")


if __name__ == "__main__":
    main()
