"""Fuzzing old efootprint files: mutations of ../shared/reference/old_versions/*.json (a key removed, a wrong
version, a mix of two versions' forms) either compute cleanly or are rejected with a ModelError naming the
file's version, the object and the attribute (or the file), by `read_model` + `compute` and by `efp compute`
(test_fuzz.check: exit code 0 or 2, nothing partial left).

The files are shortened to 72 hours, for speed.
`EFP_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/test_fuzz_old_versions.py` runs more examples (default 100,
derandomized).
"""
from __future__ import annotations

import copy
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE
from efp_tables.builders.time_series import decode_compressed, encode_compressed
from efp_tables.errors import InsufficientCapacityError
from efp_tables.io.json_upgrade import CURRENT_MAJOR, NOT_CLASSES, UpgradeWarning
from test_fuzz import SHORT_HOURS, Mutant, _dump, check, junk

EXAMPLES = int(os.environ.get("EFP_FUZZ_EXAMPLES", "100"))
OLD = REFERENCE / "old_versions"


def _shortened(document: dict) -> dict:
    document = copy.deepcopy(document)
    for pattern in document["UsagePattern"].values():
        series = next(value for key, value in pattern.items() if key.startswith("hourly_"))
        if "compressed_values" in series:
            values = decode_compressed(series["compressed_values"], "reference")
            series["compressed_values"] = encode_compressed(values[:SHORT_HOURS].astype(np.float32))
        else:
            series["values"] = series["values"][:SHORT_HOURS]
    return document


FILES = {path.stem: _shortened(json.loads(path.read_text())) for path in sorted(OLD.glob("*.json"))
         if "with_results" not in path.stem}  # the saved values are set aside: same inputs as the plain files


def _objects(document: dict) -> list[tuple[str, str]]:
    return [(cls, object_id) for cls, members in document.items() if cls not in NOT_CLASSES
            for object_id in members]


def _class_in_27(cls: str) -> str:
    return "Device" if cls == "Hardware" else cls


@st.composite
def missing_key(draw, document: dict) -> Mutant:
    """An attribute removed, or a key inside it (value, unit, a source's name, a series' start date...)."""
    cls, object_id = draw(st.sampled_from(_objects(document)))
    obj = document[cls][object_id]
    attribute = draw(st.sampled_from(sorted(obj)))
    value = obj[attribute]
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        del value[key]
        what = f"del {cls} {object_id!r}.{attribute}[{key!r}]"
    else:
        del obj[attribute]
        what = f"del {cls} {object_id!r}.{attribute}"
    return Mutant(what, _dump(document), ((object_id, attribute),))


VERSIONS = ["9.0.0", "9.1.5", "10.1.15", "12.0.0", "15.0.1", "16.0.0", "17.1.0", "19.0.0", "20.3.1", "21.0.0",
            "22.3.1", "23.0.0", "24.1.0", "25.0.0", "26.0.1", "27.0.0", "27.2.0", "28.0.0", "8.2.1", "0.1", "9",
            "nine", "", " 9.1.5", "9.1.5 ", "-1.0.0", "1e3", "999999999999.0.0"]


@st.composite
def wrong_version(draw, document: dict) -> Mutant:
    """Another version than the one that wrote the file (older, newer, malformed, of another type), or none."""
    how = draw(st.sampled_from(["another", "junk", "removed"]))
    if how == "removed":
        del document["efootprint_version"]
    else:
        document["efootprint_version"] = draw(st.sampled_from(VERSIONS)) if how == "another" else draw(junk(document))
    return Mutant(f"efootprint_version -> {document.get('efootprint_version', '(none)')!r}", _dump(document), None)


@st.composite
def mixed_forms(draw, document: dict) -> Mutant:
    """An attribute (or a whole class) in another version's form: taken from the same object of another
    version's file (matched by class and name), or a class key renamed to its other version's name."""
    how = draw(st.sampled_from(["attribute", "class"]))
    if how == "class":
        pairs = [("Hardware", "Device"), ("Device", "Hardware")]
        present = [pair for pair in pairs if pair[0] in document]
        old, new = draw(st.sampled_from(present))
        if draw(st.booleans()):
            document[new] = document.pop(old)
            what = f"class {old} renamed {new}"
        else:
            document[new] = copy.deepcopy(document[old])
            what = f"class {old} also as {new}"
        return Mutant(what, _dump(document), None)
    other = FILES[draw(st.sampled_from(sorted(FILES)))]
    cls, object_id = draw(st.sampled_from(_objects(document)))
    obj = document[cls][object_id]
    twins = [o for c, members in other.items() if c not in NOT_CLASSES and _class_in_27(c) == _class_in_27(cls)
             for o in members.values() if o.get("name") == obj.get("name")]
    if not twins:
        return Mutant(f"{cls} {object_id!r} unchanged", _dump(document), ())
    twin = draw(st.sampled_from(twins))
    attribute = draw(st.sampled_from(sorted(set(twin) - {"id", "name"}) or ["name"]))
    obj[attribute] = copy.deepcopy(twin[attribute])
    names = ((object_id, attribute),)
    if "Sources" in other and draw(st.booleans()):  # the error may then be about the Sources block
        document["Sources"] = copy.deepcopy(other["Sources"])
        names = None
    return Mutant(f"{cls} {object_id!r}.{attribute} from efootprint {other['efootprint_version']}", _dump(document),
                  names)


RENAMES = {"server_utilization_rate": "utilization_rate", "hourly_usage_journey_starts": "hourly_occurrences",
           "usage_journey": "usage_journeys", "carbon_footprint_fabrication": "carbon_footprint_manufacturing",
           "carbon_footprint_fabrication_per_storage_capacity": "carbon_footprint_manufacturing_per_storage_capacity"}


@st.composite
def renamed_attribute(draw, document: dict) -> Mutant:
    """An attribute under its name of another version (older or newer than the file's), value unchanged."""
    both = {**RENAMES, **{new: old for old, new in RENAMES.items()}}
    found = [(cls, object_id, attribute) for cls, object_id in _objects(document)
             for attribute in document[cls][object_id] if attribute in both]
    cls, object_id, attribute = draw(st.sampled_from(found))
    obj = document[cls][object_id]
    document[cls][object_id] = {(both[a] if a == attribute else a): value for a, value in obj.items()}
    return Mutant(f"{cls} {object_id!r}.{attribute} renamed {both[attribute]}", _dump(document),
                  ((object_id, attribute), (object_id, both[attribute])))


MUTATIONS = (missing_key, missing_key, wrong_version, mixed_forms, mixed_forms, renamed_attribute)


@st.composite
def old_mutants(draw) -> tuple[Mutant, str]:
    name = draw(st.sampled_from(sorted(FILES)))
    document = copy.deepcopy(FILES[name])
    mutant = draw(draw(st.sampled_from(MUTATIONS))(document))
    mutant.what = f"{name}: {mutant.what}"
    return mutant, json.loads(mutant.content).get("efootprint_version")


def _names_the_version(error, version) -> None:
    """An old file's error names its version; an unreadable version is named as the attribute at fault."""
    message = str(error)
    if isinstance(error, InsufficientCapacityError):
        return
    valid = isinstance(version, str) and version.split(".")[0].isdigit() and version.strip() == version
    if not valid or int(version.split(".")[0]) < 9:
        assert "efootprint_version" in message or f"efootprint {version}" in message, message
    elif int(version.split(".")[0]) < CURRENT_MAJOR:
        assert f"efootprint {version}" in message, message


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
          suppress_health_check=list(HealthCheck))
@given(drawn=old_mutants())
def test_mutated_old_files_compute_or_fail_cleanly(drawn):
    mutant, version = drawn
    with tempfile.TemporaryDirectory(prefix="efp_fuzz_old_") as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", UpgradeWarning)
        error = check(mutant, Path(folder))
    if error is not None:
        _names_the_version(error, version)


@pytest.mark.parametrize("name", sorted(FILES))
def test_shortened_old_files_compute_cleanly(name, tmp_path):
    """The unmutated (shortened) files pass the same checks, so every failure above is the mutation's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UpgradeWarning)
        assert check(Mutant(f"{name} unchanged", _dump(FILES[name]), ()), tmp_path) is None
