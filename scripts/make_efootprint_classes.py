"""Regenerate data/efootprint/classes.json: what the JSON upgrade (efp_tables/io/json_upgrade.py) needs to know of
efootprint 27's classes, as data: each class's ancestors (an upgrade step that applies to "every server" applies
to its subclasses), its inputs (constructor parameters) and its calculated attributes (dropped from old files),
plus the classes efootprint removed (WebApplication, GenAIModel and their jobs) and the resolutions each video
generation model allows (25 -> 26).

Rerun when efootprint updates: .venv/bin/python scripts/make_efootprint_classes.py  (needs efootprint, a test
dependency)
"""
import json
import logging
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "efootprint" / "classes.json"
_NOT_CLASSES = {"object", "ABC"}


def ancestors(cls) -> list[str]:
    return [base.__name__ for base in cls.__mro__[1:] if base.__name__ not in _NOT_CLASSES]


def main():
    logging.disable(logging.WARNING)
    import efootprint
    from efootprint.abstract_modeling_classes.reactive_core import computed_slots
    from efootprint.all_classes_in_order import ALL_EFOOTPRINT_CLASSES
    from efootprint.api_utils.suppressed_efootprint_classes import ALL_SUPPRESSED_EFOOTPRINT_CLASSES
    from efootprint.builders.external_apis.ecologits.ecologits_video_external_api import (
        EcoLogitsVideoGenExternalAPIJob)
    from efootprint.utils.tools import get_init_signature_params

    classes = {}
    for cls in sorted(ALL_EFOOTPRINT_CLASSES, key=lambda c: c.__name__):
        inputs = [name for name in get_init_signature_params(cls) if name not in ("self", "name")]
        classes[cls.__name__] = {"ancestors": ancestors(cls), "inputs": inputs,
                                 "calculated": sorted(computed_slots(cls))}
    removed = {cls.__name__: {"ancestors": ancestors(cls)} for cls in ALL_SUPPRESSED_EFOOTPRINT_CLASSES}
    resolutions = EcoLogitsVideoGenExternalAPIJob.conditional_list_values["resolution"]["conditional_list_values"]
    document = {"efootprint_version": efootprint.__version__, "classes": classes, "removed_classes": removed,
                "video_generation_resolutions": {str(model): [str(choice) for choice in choices]
                                                 for model, choices in resolutions.items()}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
