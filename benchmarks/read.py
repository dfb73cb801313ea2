"""Reading models: the 100-file portfolio of benchmarks/portfolio.py read and validated as one model, and one
read_model per reference. Best of N (default 5), wall clock, in one process (warm: imports and caches loaded).

    .venv/bin/python benchmarks/read.py [--copies N] [--repeat N]"""
import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compute import REFERENCE, best_of  # noqa: E402
from portfolio import perturbed_copies  # noqa: E402

from efp_tables.io.efootprint_json import read_model, read_models  # noqa: E402

REFERENCES = ["quickstart", "quickstart_llm", "quickstart_b", "ecommerce", "ecommerce_b", "ml_workflow", "edge_fleet",
              "genai_assistant"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        paths = perturbed_copies(Path(folder), args.copies)
        read_models(paths, system_ids=[path.stem for path in paths])  # warm
        seconds = best_of(args.repeat, lambda: read_models(paths, system_ids=[path.stem for path in paths]))
        print(f"{len(paths)} files read and validated as one portfolio: {seconds:.3f} s")
    for name in REFERENCES:
        path = REFERENCE / f"{name}.json"
        read_model(path)
        print(f"read_model {name}: {best_of(args.repeat, lambda: read_model(path)) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
