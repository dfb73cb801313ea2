"""Fuzzing: mutations of the reference efootprint JSON models either compute cleanly or are rejected with a
ModelError naming the object (or the file) and the attribute, by `read_model` + `compute` and by `efp compute`.

Each example takes a reference model, changes one thing (a value, a unit, a link, a weight, an object, a class
name, the hourly series, the file's bytes) and checks that:
1. `read_model` then `compute(model).collected` and the long results table either succeed, with no NaN, null or
   infinite value (except efootprint's always empty attributes), or raise a ModelError whose message names the
   mutated object and attribute (or the file). InsufficientCapacityError is accepted for capacity problems;
   it names a server or storage of the model. Any other exception fails the test.
2. `efp compute FILE --out DIR` exits with 0 (DIR holds results.parquet only) or 2 (DIR holds nothing: no
   results.parquet, no temporary file), in agreement with 1.

Mutations that do not concern the hourly series start from the references shortened to 72 hours (3 days for
form inputs), for speed; mutations of the series start from the full references.
`EFP_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/test_fuzz.py` runs more examples (default 150, derandomized).
"""
from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE
from efp_tables.builders.time_series import decode_compressed, encode_compressed
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import InsufficientCapacityError, ModelError
from efp_tables.io.efootprint_json import read_model

EXAMPLES = int(os.environ.get("EFP_FUZZ_EXAMPLES", "150"))
SCENARIOS = ("quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "edge_fleet")
FILE = "mutant.json"
SHORT_HOURS = 72
NOT_OBJECTS = ("efootprint_version", "Sources")


def _load(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def _shortened(document: dict) -> dict:
    document = copy.deepcopy(document)
    series_of = [(p, "hourly_occurrences") for p in document.get("UsagePattern", {}).values()]
    series_of += [(p, "hourly_deployment_starts") for p in document.get("EdgeUsagePattern", {}).values()]
    for pattern, attribute in series_of:
        series = pattern[attribute]
        if "compressed_values" in series:
            values = decode_compressed(series["compressed_values"], "reference")
            series["compressed_values"] = encode_compressed(values[:SHORT_HOURS])
        else:
            series["form_inputs"].update(modeling_duration_value=SHORT_HOURS // 24, modeling_duration_unit="day")
    return document


FULL = {name: _load(name) for name in SCENARIOS}
SHORT = {name: _shortened(document) for name, document in FULL.items()}


# --- values ------------------------------------------------------------------------------------------------

SPECIAL_NUMBERS = [0, 0.0, -0.0, -1, -1e-9, 1e-320, 5e-324, 1e-30, 1e21, 1e30, 3.5e38, 1e100, 1e308, -1e308,
                   float("nan"), float("inf"), float("-inf"), 2 ** 63, 2 ** 64, -(2 ** 63), 10 ** 400, 0.5, 1, 7]
numbers = st.one_of(st.sampled_from(SPECIAL_NUMBERS), st.integers(-(2 ** 70), 2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True))
UNITS = ["dimensionless", "kilogram", "gram", "kilowatt", "watt", "hour", "year", "minute", "second", "day",
         "megabyte", "gigabyte", "gigabyte_ram", "megabyte_ram", "terabyte_stored", "kilobyte_stored", "cpu_core",
         "gpu", "occurrence", "concurrent", "user", "bit", "1 / second", "hour / day", "gram / kilowatt_hour",
         "kilowatt_hour / gigabyte", "kilogram / terabyte_stored", "watt / gpu", "gigabyte_ram / gpu",
         "cpu_core * second / gigabyte", "percent", "%", "degC", "delta_degC", "meter", "ohm", "byte",
         "kilogramz", "", " ", "kg ** 1e400", "kg ** 99999999999", "1 / 0", "(", "None", "nan", "10 ** 400 kg"]
units = st.one_of(st.sampled_from(UNITS), st.text(max_size=12), st.none(), numbers, st.booleans(),
                  st.lists(st.sampled_from(UNITS), max_size=2))
texts = st.one_of(st.text(max_size=20), st.sampled_from(["", " ", "nan", "inf", "1e400", "12", "1 kg", "0x10",
                                                         "autoscaling", "on-premise", "Europe/Paris", "null",
                                                         "lone \ud800 surrogate", "\udfff", "é\x00\u2028"]))
quantities = st.one_of(
    st.fixed_dictionaries({"value": st.one_of(numbers, texts, st.none(), st.booleans()), "unit": units}),
    st.fixed_dictionaries({"value": numbers}), st.fixed_dictionaries({"unit": units}),
    st.fixed_dictionaries({"value": st.lists(numbers, max_size=2), "unit": st.sampled_from(UNITS)}),
)


DEEP = json.loads("[" * 600 + "]" * 600)  # a value nested deeper than most code recurses comfortably


def ids_of(document: dict) -> list[str]:
    return [object_id for cls, members in document.items() if cls not in NOT_OBJECTS for object_id in members]


def junk(document: dict) -> st.SearchStrategy:
    """Anything that a JSON attribute could wrongly hold, ids of the model's objects included."""
    ids = st.sampled_from(ids_of(document))
    scalars = st.one_of(st.none(), st.booleans(), numbers, texts, ids, st.just("ghost-id"))
    return st.one_of(
        scalars, quantities, st.just(DEEP),
        st.lists(scalars, max_size=3),
        st.dictionaries(st.one_of(ids, st.text(max_size=8)), st.one_of(scalars, quantities), max_size=3),
    )


# --- mutants -----------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    what: str  # the mutation, in words
    content: bytes  # the file's bytes
    names: tuple[tuple[str, str | None], ...] | None  # (object id, attribute or None): the error must name one
    # pair; () means the error is about the file and must name it; None: bytes changed anywhere, any ModelError


def _dump(document) -> bytes:
    return json.dumps(document, indent=1).encode()


def _objects(document: dict) -> list[tuple[str, str]]:
    return [(cls, object_id) for cls, members in document.items() if cls not in NOT_OBJECTS
            for object_id in members]


def _pick_object(draw, document: dict) -> tuple[str, str, dict]:
    cls, object_id = draw(st.sampled_from(_objects(document)))
    return cls, object_id, document[cls][object_id]


def _referrers(document: dict, target: str) -> list[tuple[str, str]]:
    """(object id, attribute) of every attribute that links to `target`."""
    found = []
    for cls, object_id in _objects(document):
        for attribute, value in document[cls][object_id].items():
            if attribute in ("id", "name"):
                continue
            if value == target or (isinstance(value, list) and target in value) or (
                    isinstance(value, dict) and target in value):
                found.append((object_id, attribute))
    return found


def _links(document: dict) -> list[tuple[str, str, str]]:
    """(class, object id, attribute) of every link attribute: an id, a list of ids or a dict keyed by ids."""
    ids = set(ids_of(document))
    found = []
    for cls, object_id in _objects(document):
        for attribute, value in document[cls][object_id].items():
            if attribute in ("id", "name"):
                continue
            if (isinstance(value, str) and value in ids) or (
                    isinstance(value, (list, dict)) and value and all(isinstance(k, str) and k in ids for k in value)):
                found.append((cls, object_id, attribute))
    return found


@st.composite
def replace_attribute(draw, document: dict) -> Mutant:
    cls, object_id, obj = _pick_object(draw, document)
    attribute = draw(st.sampled_from(sorted(obj)))
    obj[attribute] = value = draw(junk(document))
    return Mutant(f"{cls} {object_id!r}.{attribute} = {value!r}", _dump(document), ((object_id, attribute),))


@st.composite
def remove_attribute(draw, document: dict) -> Mutant:
    cls, object_id, obj = _pick_object(draw, document)
    attribute = draw(st.sampled_from(sorted(obj)))
    del obj[attribute]
    return Mutant(f"del {cls} {object_id!r}.{attribute}", _dump(document), ((object_id, attribute),))


@st.composite
def mutate_quantity(draw, document: dict) -> Mutant:
    """The value or unit of a {"value", "unit"} attribute: wrong, missing, of the wrong type."""
    candidates = [(cls, object_id, attribute) for cls, object_id in _objects(document)
                  for attribute, value in document[cls][object_id].items()
                  if isinstance(value, dict) and "value" in value]
    cls, object_id, attribute = draw(st.sampled_from(candidates))
    quantity = document[cls][object_id][attribute]
    how = draw(st.sampled_from(["value", "unit", "drop value", "drop unit", "value and unit"]))
    if how == "value":
        quantity["value"] = draw(st.one_of(numbers, junk(document)))
    elif how == "unit":
        quantity["unit"] = draw(units)
    elif how == "value and unit":
        quantity["value"], quantity["unit"] = draw(numbers), draw(units)
    else:
        quantity.pop(how.removeprefix("drop "), None)
    return Mutant(f"{cls} {object_id!r}.{attribute} -> {quantity!r} ({how})", _dump(document),
                  ((object_id, attribute),))


VALID_NUMBERS = [0, 0.0, 1e-15, 1e-12, 1e-9, 1e-6, 0.001, 0.5, 1, 2, 3, 24, 100, 1e4, 1e6, 1e9, 1e12, 1e15]
valid_numbers = st.one_of(st.sampled_from(VALID_NUMBERS), st.floats(1e-15, 1e15),
                          st.sampled_from(VALID_NUMBERS).map(lambda x: -x))


@st.composite
def tweak_number(draw, document: dict) -> Mutant:
    """A quantity (or weight) set to another number of the right type and unit: zero, tiny, huge, negative;
    or a server type, a fixed number of instances, a storage duration changed. Often a valid model."""
    candidates = [(cls, object_id, (attribute,)) for cls, object_id in _objects(document)
                  for attribute, value in document[cls][object_id].items()
                  if isinstance(value, dict) and "value" in value]
    candidates += [(cls, object_id, (attribute, key)) for cls, object_id in _objects(document)
                   for attribute in ("usage_journeys", "uj_steps", "jobs")
                   if isinstance(document[cls][object_id].get(attribute), dict)
                   for key in document[cls][object_id][attribute]]
    cls, object_id, path = draw(st.sampled_from(candidates))
    quantity = document[cls][object_id]
    for step in path:
        quantity = quantity[step]
    if path[0] == "server_type":
        quantity["value"] = draw(st.sampled_from(["autoscaling", "on-premise", "serverless"]))
    else:
        quantity["value"] = draw(valid_numbers)
        if quantity.get("unit") is None:  # an empty fixed_nb_of_instances, base_compute_consumption...
            quantity["unit"] = "dimensionless" if path[0] == "fixed_nb_of_instances" else "cpu_core"
    return Mutant(f"{cls} {object_id!r}.{'.'.join(path)} -> {quantity!r}", _dump(document),
                  ((object_id, path[0]),))


@st.composite
def tweak_numbers(draw, document: dict) -> Mutant:
    """Two to four numbers tweaked at once (zero compute and zero needs, a tiny capacity and a huge need...)."""
    whats, names = [], []
    for _ in range(draw(st.integers(2, 4))):
        mutant = draw(tweak_number(document))
        whats.append(mutant.what)
        names += mutant.names
    return Mutant("; ".join(whats), _dump(document), tuple(names))


@st.composite
def mutate_link(draw, document: dict) -> Mutant:
    """A link (id, list of ids, dict of ids to weights) to a missing id, another object's id, a number..."""
    cls, object_id, attribute = draw(st.sampled_from(_links(document)))
    obj = document[cls][object_id]
    value = obj[attribute]
    ids = ids_of(document)
    other = st.one_of(st.sampled_from(ids), st.just("ghost-id"), st.just(""), numbers, st.none(), st.booleans(),
                      st.lists(st.sampled_from(ids), max_size=2), st.dictionaries(st.sampled_from(ids), numbers,
                                                                                   max_size=2))
    if isinstance(value, str) or draw(st.booleans()):
        obj[attribute] = draw(other)
    elif isinstance(value, list):
        i = draw(st.integers(0, len(value)))
        if i == len(value):
            value.append(draw(other))
        else:
            value[i] = draw(other)
    else:  # a weighted dict: rename a key, keeping its weight
        keys = list(value)
        key = draw(st.sampled_from(keys))
        new = draw(st.one_of(st.sampled_from(ids), st.just("ghost-id"), st.just(""), st.text(max_size=5)))
        obj[attribute] = {(new if k == key else k): w for k, w in value.items()}
    return Mutant(f"{cls} {object_id!r}.{attribute} -> {obj[attribute]!r}", _dump(document),
                  ((object_id, attribute),))


@st.composite
def mutate_weights(draw, document: dict) -> Mutant:
    """A weighted dict (journeys of a pattern, steps of a journey, jobs of a step) with bad weights."""
    candidates = [(cls, object_id, attribute) for cls, object_id in _objects(document)
                  for attribute in ("usage_journeys", "uj_steps", "jobs")
                  if isinstance(document[cls][object_id].get(attribute), dict)]
    cls, object_id, attribute = draw(st.sampled_from(candidates))
    weights = document[cls][object_id][attribute]
    how = draw(st.sampled_from(["weight", "weight value", "weight unit", "empty", "extra"]))
    if weights and how in ("weight", "weight value", "weight unit"):
        key = draw(st.sampled_from(sorted(weights)))
        if how == "weight":
            weights[key] = draw(st.one_of(numbers, junk(document)))
        elif how == "weight value":
            weights[key]["value"] = draw(st.one_of(numbers, texts, st.none()))
        else:
            weights[key]["unit"] = draw(units)
    elif how == "empty":
        weights.clear()
    else:
        weights[draw(st.sampled_from(ids_of(document)))] = draw(st.one_of(numbers, quantities))
    return Mutant(f"{cls} {object_id!r}.{attribute} -> {weights!r} ({how})", _dump(document),
                  ((object_id, attribute),))


@st.composite
def mutate_deep(draw, document: dict) -> Mutant:
    """Any value nested anywhere in an object (a timezone's zone, a weight's unit...): replaced or removed."""
    cls, object_id, obj = _pick_object(draw, document)
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, child in node.items():
                paths.append((*path, key))
                walk(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                paths.append((*path, i))
                walk(child, (*path, i))

    walk(obj, ())
    path = draw(st.sampled_from(paths))
    parent = obj
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
        how = "removed"
    else:
        parent[path[-1]] = draw(junk(document))
        how = f"-> {parent[path[-1]]!r}"
    return Mutant(f"{cls} {object_id!r}{''.join(f'[{p!r}]' for p in path)} {how}", _dump(document),
                  ((object_id, path[0]),))


@st.composite
def delete_object(draw, document: dict) -> Mutant:
    """An object deleted (usually one that others link to), or moved to another class."""
    cls, object_id, obj = _pick_object(draw, document)
    del document[cls][object_id]
    if draw(st.booleans()) or cls == "System":
        names = tuple(_referrers(document, object_id)) or (() if cls == "System" else ((object_id, None),))
        return Mutant(f"del {cls} {object_id!r}", _dump(document), names)
    new_cls = draw(st.sampled_from(sorted({c for c, _ in _objects(FULL["quickstart_llm"])} - {cls, "System"})))
    document.setdefault(new_cls, {})[object_id] = obj
    return Mutant(f"{cls} {object_id!r} moved to class {new_cls}", _dump(document), ((object_id, None),))


@st.composite
def duplicate_id(draw, document: dict) -> Mutant:
    cls, object_id, obj = _pick_object(draw, document)
    other_cls = draw(st.sampled_from(sorted({c for c, _ in _objects(document)} - {cls})))
    other = copy.deepcopy(next(iter(document[other_cls].values())))
    other["id"] = object_id
    document[other_cls][object_id] = other
    return Mutant(f"{other_cls} with the id of {cls} {object_id!r}", _dump(document), ((object_id, "id"),))


@st.composite
def unknown_class(draw, document: dict) -> Mutant:
    from efp_tables.io.efootprint_json import SUPPORTED
    classes = [c for c in document if c != "efootprint_version"]
    cls = draw(st.sampled_from(classes))
    new = draw(st.one_of(st.sampled_from([cls + "s", cls.lower(), cls[:-1], " " + cls, "Server2", ""]),
                         st.text(max_size=10)).filter(lambda c: c not in SUPPORTED and c not in document
                                                      and c != "efootprint_version"))
    if draw(st.booleans()):
        document[new] = document.pop(cls)
        what = f"class {cls} renamed {new!r}"
    else:
        document[new] = draw(junk(document))
        what = f"class {new!r} added"
    return Mutant(what, _dump(document), ())


@st.composite
def mutate_system(draw, document: dict) -> Mutant:
    system_id, system = next(iter(document["System"].items()))
    how = draw(st.sampled_from(["second system", "edge usage patterns", "usage patterns"]))
    if how == "second system":
        document["System"]["Another-system"] = dict(copy.deepcopy(system), id="Another-system")
        return Mutant("a second System", _dump(document), ())
    if how == "edge usage patterns":
        system["edge_usage_patterns"] = draw(junk(document))
        return Mutant(f"edge_usage_patterns = {system['edge_usage_patterns']!r}", _dump(document),
                      ((system_id, "edge_usage_patterns"),))
    system["usage_patterns"] = draw(st.one_of(junk(document), st.lists(st.sampled_from(ids_of(document)),
                                                                       max_size=3)))
    return Mutant(f"usage_patterns = {system['usage_patterns']!r}", _dump(document),
                  ((system_id, "usage_patterns"),))


# --- the file's bytes --------------------------------------------------------------------------------------

@st.composite
def mutate_text(draw, document: dict) -> Mutant:
    text = _dump(document)
    how = draw(st.sampled_from(["truncated", "random bytes", "empty", "not an object", "bad byte", "nested",
                                "bytes flipped", "long number"]))
    if how == "truncated":
        content = text[:draw(st.integers(0, len(text) - 1))]
    elif how == "random bytes":
        content = draw(st.binary(max_size=200))
    elif how == "empty":
        content = b""
    elif how == "not an object":
        content = json.dumps(draw(st.one_of(st.none(), numbers, texts, st.lists(st.integers(), max_size=3)))).encode()
    elif how == "bad byte":
        i = draw(st.integers(0, len(text)))
        content = text[:i] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"])) + text[i:]
    elif how == "nested":
        depth = draw(st.sampled_from([10, 1000, 100_000]))
        content = b"[" * depth + b"]" * depth
    elif how == "long number":  # more digits than Python reads as an int (sys.get_int_max_str_digits)
        content = text.replace(b'"value": ', b'"value": ' + b"9" * 5000 + b', "was": ', 1)
    else:
        data = bytearray(text)
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        content = bytes(data)
    return Mutant(f"file {how}", content, None if how == "bytes flipped" else ())


# --- hourly series -----------------------------------------------------------------------------------------

def _zstd(raw: bytes, content_size: bool = True) -> str:
    if content_size:
        frame = zstandard.ZstdCompressor().compress(raw)
    else:
        out = io.BytesIO()
        with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
            writer.write(raw)
        frame = out.getvalue()
    return base64.b64encode(frame).decode()


BOMB = _zstd(bytes(64 * 1024 * 1024))  # 64 MB of zeros in ~2 kB: 16 M hourly values


@st.composite
def compressed_values(draw, current: str) -> object:
    how = draw(st.sampled_from(["bad base64", "base64 of garbage", "truncated frame", "frame of garbage",
                                "special floats", "no content size", "bomb", "empty", "junk", "padding"]))
    if how == "bad base64":
        return draw(st.text(min_size=1, max_size=40)) + "!"
    if how == "base64 of garbage":
        return base64.b64encode(draw(st.binary(max_size=64))).decode()
    frame = base64.b64decode(current)
    if how == "truncated frame":
        return base64.b64encode(frame[:draw(st.integers(0, len(frame) - 1))]).decode()
    if how == "frame of garbage":
        return _zstd(draw(st.binary(max_size=64)))
    if how == "special floats":
        values = draw(st.lists(st.sampled_from([0.0, 1.0, -1.0, float("nan"), float("inf"), 3e38, 1e-45, -0.0]),
                               min_size=1, max_size=30))
        return _zstd(np.asarray(values, dtype="<f4").tobytes())
    if how == "no content size":
        return _zstd(np.ones(48, dtype="<f4").tobytes(), content_size=False)
    if how == "bomb":
        return BOMB
    if how == "empty":
        return ""
    if how == "padding":
        return current.rstrip("=") + draw(st.sampled_from(["", "=", "===", " ", "\n"]))
    return draw(st.one_of(numbers, st.none(), st.lists(numbers, max_size=3), st.dictionaries(texts, numbers)))


START_DATES = ["2025-01-01 00:30:00", "2025-01-01T00:00:00+02:00", "2025-01-01T00:00:00Z", "0001-01-01 00:00:00",
               "9999-12-31 23:00:00", "9999-01-01 00:00:00", "1900-01-01 00:00:00", "1970-01-01 00:00:00",
               "2025-03-30 02:00:00", "2025-10-26 02:00:00", "2025-13-01", "", "2025-01-01", "2025-01-01 00:00:00.5",
               "yesterday", "2025-02-30 00:00:00", "+002025-01-01", "2025-W01"]
FORM_NUMBERS = [-1, 0, 0.01, 0.5, 2, 1e9, 1e38, 1e308, -1e308, float("nan"), float("inf"), float("-inf"),
                10 ** 400, 2 ** 63, True, False, None, "3", "", [], {}, -100, -99.999, 1e6, 5e-324]


@st.composite
def mutate_series(draw, scenario: str) -> Mutant:
    """A usage pattern's hourly_occurrences: compressed values, values list, start date, unit, form inputs."""
    pattern_id = draw(st.sampled_from(sorted(FULL[scenario]["UsagePattern"])))
    has_form = "form_inputs" in FULL[scenario]["UsagePattern"][pattern_id]["hourly_occurrences"]
    form_change = has_form and draw(st.booleans())
    document = copy.deepcopy(SHORT[scenario] if form_change else FULL[scenario])  # long form inputs: too slow
    series = document["UsagePattern"][pattern_id]["hourly_occurrences"]
    names = ((pattern_id, "hourly_occurrences"),)
    if form_change:
        form = series["form_inputs"]
        key = draw(st.sampled_from(sorted(form) + ["form_inputs", "extra"]))
        how = draw(st.sampled_from(["remove", "replace"]))
        if key == "form_inputs":
            series["form_inputs"] = draw(junk(document))
        elif key == "extra":
            form[draw(st.text(max_size=8))] = draw(junk(document))
        elif how == "remove":
            del form[key]
        elif key == "start_date":
            form[key] = draw(st.one_of(st.sampled_from(START_DATES), texts, numbers, st.none()))
        elif key.endswith(("_unit", "_timespan")):
            form[key] = draw(st.one_of(st.sampled_from(["day", "month", "year", "week", "hour", "Year", ""]),
                                       junk(document)))
        else:
            form[key] = draw(st.sampled_from(FORM_NUMBERS))
        return Mutant(f"{pattern_id} form_inputs -> {series.get('form_inputs')!r}", _dump(document), names)
    if has_form:  # a series given as values (as efootprint writes explicit series) instead of form inputs
        del series["form_inputs"]
        series.update(unit="occurrence", start_date="2025-01-01 00:00:00", timezone=None,
                      compressed_values=encode_compressed(np.ones(SHORT_HOURS, dtype=np.float32)))
    key = draw(st.sampled_from(["compressed_values", "values", "start_date", "unit", "timezone", "remove"]))
    if key == "compressed_values":
        series["compressed_values"] = draw(compressed_values(series["compressed_values"]))
    elif key == "values":
        del series["compressed_values"]
        series["values"] = draw(st.one_of(st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.5]), numbers, st.none(),
                                                             texts), max_size=48),
                                          junk(document)))
    elif key == "start_date":
        series["start_date"] = draw(st.one_of(st.sampled_from(START_DATES), texts, numbers, st.none(),
                                              junk(document)))
    elif key == "unit":
        series["unit"] = draw(units)
    elif key == "timezone":
        series["timezone"] = draw(st.one_of(st.sampled_from(["UTC", "Europe/Paris", ""]), junk(document)))
    else:
        del series[draw(st.sampled_from(["compressed_values", "start_date", "unit", "timezone"]))]
    shown = {k: (v[:40] + "..." if isinstance(v, str) and len(v) > 40 else v) for k, v in series.items()
             if k not in ("label", "source")}
    return Mutant(f"{pattern_id}.hourly_occurrences -> {shown!r} ({key})", _dump(document), names)


# --- all mutations -----------------------------------------------------------------------------------------

ON_DOCUMENT = (replace_attribute, remove_attribute, mutate_quantity, mutate_quantity, tweak_number, tweak_number,
               tweak_numbers, mutate_link, mutate_weights,
               mutate_deep, delete_object, duplicate_id, unknown_class, mutate_system, mutate_text)


@st.composite
def mutants(draw) -> Mutant:
    scenario = draw(st.sampled_from(SCENARIOS))
    # the hourly series of usage patterns: twice as likely as each other kind (edge_fleet's deployment starts
    # are mutated as any other value)
    kind = draw(st.integers(0, len(ON_DOCUMENT) + (1 if "UsagePattern" in FULL[scenario] else -1)))
    if kind >= len(ON_DOCUMENT):
        mutant = draw(mutate_series(scenario))
    else:
        mutant = draw(ON_DOCUMENT[kind](copy.deepcopy(SHORT[scenario])))
    mutant.what = f"{scenario}: {mutant.what}"
    return mutant


# --- the checks --------------------------------------------------------------------------------------------

def _error_names_the_mutation(error: ModelError, mutant: Mutant, ids: list[str]) -> None:
    message = str(error)
    assert "expected" in message, message
    if isinstance(error, InsufficientCapacityError):  # names the server or storage short of capacity
        assert any(repr(object_id) in message for object_id in ids), (mutant.what, message)
        return
    if mutant.names is None:
        return
    if not mutant.names:
        assert FILE in message, (mutant.what, message)
        return
    assert any(object_id in message and (attribute is None or attribute in message)
               for object_id, attribute in mutant.names), (mutant.what, mutant.names, message)


def _clean_results(long: pl.DataFrame) -> None:
    values = long.filter(pl.col("kind") != "empty")["value"]
    bad = values.is_null() | ~values.is_finite()
    if bad.any():
        raise AssertionError(f"{int(bad.sum())} null or non-finite values, first:\n"
                             f"{long.filter(pl.col('kind') != 'empty').filter(bad).head(3)}")


def check(mutant: Mutant, folder: Path) -> ModelError | None:
    """Both checks on one mutant; returns the error, None when the model computed."""
    path = folder / FILE
    path.write_bytes(mutant.content)
    try:
        document = json.loads(mutant.content)
        ids = ids_of(document) if isinstance(document, dict) else []
    except (ValueError, TypeError, AttributeError, RecursionError):
        ids = []
    error = None
    try:
        results = compute(read_model(path))
        results.collected
        long = results.long()
    except ModelError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001: any other exception is a bug
        raise AssertionError(f"{mutant.what}: {type(exc).__name__} escaped: {exc}") from exc
    if error is None:
        _clean_results(long)
    else:
        _error_names_the_mutation(error, mutant, ids)

    out = folder / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["compute", str(path), "--out", str(out)])
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"{mutant.what}: the CLI let {type(exc).__name__} escape: {exc}") from exc
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert code in (0, 2), (mutant.what, code)
    if error is None:
        assert code == 0, (mutant.what, stderr.getvalue())
        assert "results.parquet" in left and not [n for n in left if n.startswith(".")], (mutant.what, left)
    else:
        assert code == 2, (mutant.what, code)
        *warned, last = stderr.getvalue().splitlines()  # an old file's upgrade may warn before the error
        assert last.startswith("efp: error: "), (mutant.what, stderr.getvalue())
        assert all(line.startswith("efp: warning: ") for line in warned), (mutant.what, stderr.getvalue())
        assert left == [], (mutant.what, f"files left in --out: {left}")
    return error


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
          suppress_health_check=list(HealthCheck))
@given(mutant=mutants())
def test_mutated_models_compute_or_fail_cleanly(mutant):
    with tempfile.TemporaryDirectory(prefix="efp_fuzz_") as folder:
        check(mutant, Path(folder))


def test_cli_out_not_a_folder(tmp_path):
    """--out naming a file: exit code 2 and a message, no traceback."""
    path = tmp_path / FILE
    path.write_bytes(_dump(SHORT["quickstart"]))
    out = tmp_path / "a-file"
    out.write_text("")
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        code = main(["compute", str(path), "--out", str(out)])
    assert code == 2
    assert stderr.getvalue().startswith("efp: error: ") and "--out" in stderr.getvalue(), stderr.getvalue()


def test_references_compute_cleanly(tmp_path):
    """The unmutated (shortened) references pass the same checks, so every failure above is the mutation's."""
    for scenario in SCENARIOS:
        folder = tmp_path / scenario
        folder.mkdir()
        check(Mutant(f"{scenario} unchanged", _dump(SHORT[scenario]), ()), folder)


# --- what the fuzzing found, one example each ----------------------------------------------------------------

QS_PATTERN = "Daily-video-streaming-consumption"


def _quickstart(full: bool = False, scenario: str = "quickstart") -> dict:
    return copy.deepcopy((FULL if full else SHORT)[scenario])


def _series(document: dict, pattern: str = QS_PATTERN) -> dict:
    return document["UsagePattern"][pattern]["hourly_occurrences"]


def _values(document: dict, values) -> dict:
    series = _series(document)
    del series["compressed_values"]
    series["values"] = values
    return document


def _set(document: dict, cls: str, object_id: str, attribute: str, value) -> dict:
    document[cls][object_id][attribute] = value
    return document


def _long_journey() -> dict:
    document = _quickstart()
    document["UsageJourneyStep"]["20-min-streaming"]["user_time_spent"]["value"] = 1e6  # minutes: 16667 h
    return document


def _far_apart_patterns() -> dict:
    document = _quickstart(scenario="ecommerce")
    _series(document, "Daily-shoppers-in-France")["form_inputs"]["start_date"] = "0001-01-01"
    return document


def _storage_overflow() -> dict:
    document = _quickstart(full=True, scenario="quickstart_llm")
    _series(document)["compressed_values"] = encode_compressed(np.array([3e38, 3e38], dtype=np.float32))
    return document


def _compressed(document: dict, text: str) -> dict:
    _series(document)["compressed_values"] = text
    return document


def _form(change: dict) -> dict:
    document = _quickstart(scenario="ecommerce")
    _series(document, "Daily-shoppers-in-France")["form_inputs"].update(change)
    return document


FRAME = base64.b64decode(encode_compressed(np.ones(48, dtype=np.float32)))

FOUND = {  # what was wrong -> (document or file bytes, parts of the message)
    # a None among hourly values passed the type check (None was also next()'s "nothing found")
    "None in hourly values": (lambda: _values(_quickstart(), [None, "", 1.0]),
                              (QS_PATTERN, "hourly_occurrences.values[0]")),
    # a huge weight or step time made a journey of 1e19 hours: polars failed casting it, or aborted the process
    # allocating its window of lags
    "journey too long": (_long_journey, ("Mean-video-consumption-user-journey", "uj_steps", "user_time_spent",
                                         "'20-min-streaming'", "at most 8760 hours")),
    "job too long": (lambda: _set(_quickstart(), "Job", "streaming", "request_duration",
                                  {"value": 100, "unit": "year"}), ("'streaming'", "request_duration", "<= 8760")),
    # 1e308 kg, a 1e-300 lifespan: infinite and NaN footprints
    "huge quantity": (lambda: _set(_quickstart(), "Device", "Default-laptop", "carbon_footprint_manufacturing",
                                   {"value": 1e300, "unit": "kilogram"}),
                      ("'Default-laptop'", "carbon_footprint_manufacturing", "magnitude")),
    "tiny lifespan": (lambda: _set(_quickstart(), "Device", "Default-laptop", "lifespan",
                                   {"value": 1e-300, "unit": "year"}), ("'Default-laptop'", "lifespan", "magnitude")),
    # float32 running sum of the stored data overflowed: NaN storage footprints
    "stored data beyond float32": (_storage_overflow, ("'LLM-server-storage'", "full_cumulative_storage_need",
                                                       QS_PATTERN, "hourly_occurrences", "float32")),
    # patterns 2024 years apart: dense hourly grids of 17.7 M hours per object (out of memory)
    "patterns far apart": (_far_apart_patterns, ("'Daily-shoppers-in-France'", "'Daily-shoppers-in-the-US'",
                                                 "hourly_occurrences", "0001-01-01")),
    # 64 MB of zeros in a 2 kB frame were decompressed before the length check
    "compression bomb": (lambda: _compressed(_quickstart(), BOMB), (QS_PATTERN, "compressed_values",
                                                                    "at most 876000 values")),
    "two frames": (lambda: _compressed(_quickstart(), base64.b64encode(FRAME + FRAME).decode()),
                   (QS_PATTERN, "compressed_values", "after the frame")),
    # a lone surrogate ("\ud800" in JSON) reached the Parquet writer and the CLI's print: UnicodeEncodeError
    "lone surrogate": (lambda: _set(_quickstart(), "Device", "Default-laptop", "name", "laptop \ud800"),
                       ("'Default-laptop'", "name", "Unicode")),
    # a quantity given as a bare integer beyond float range: OverflowError
    "huge integer": (lambda: _set(_quickstart(), "Device", "Default-laptop", "power", 10 ** 400),
                     ("'Default-laptop'", "power", "finite")),
    # form inputs: True read as 1, a huge growth rate overflowed (OverflowError in a float power)
    "boolean duration": (lambda: _form({"modeling_duration_value": True}), ("'Daily-shoppers-in-France'",
                                                                           "modeling_duration_value")),
    "growth overflow": (lambda: _form({"net_growth_rate_in_percentage": 1e6, "net_growth_rate_timespan": "day",
                                       "modeling_duration_value": 1, "modeling_duration_unit": "year"}),
                        ("'Daily-shoppers-in-France'", "hourly_occurrences.form_inputs", "float32")),
    "short_name not a text": (lambda: _set(_quickstart(), "Country", "France", "short_name", {"a": 1}),
                              ("'France'", "short_name", "text")),
}
FOUND_TEXT = {
    # more digits than Python converts to an int: a bare ValueError from json.loads
    "5000-digit number": (_dump(SHORT["quickstart"]).replace(b'"value": ', b'"value": ' + b"9" * 5000 + b', "x": ',
                                                             1), (FILE, "JSON")),
}


@pytest.mark.parametrize("name", sorted(FOUND) + sorted(FOUND_TEXT))
def test_found_by_fuzzing(name, tmp_path):
    if name in FOUND:
        build, parts = FOUND[name]
        content = _dump(build())
    else:
        content, parts = FOUND_TEXT[name]
    error = check(Mutant(name, content, None), tmp_path)
    assert error is not None, name
    for part in parts:
        assert part in str(error), (part, str(error))
