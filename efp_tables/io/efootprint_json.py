"""Read efootprint JSON models into input tables. Object ids are kept as in the file. Files of efootprint 9 to 26
are first upgraded to the efootprint 27 form (io.json_upgrade), as efootprint 27 reads them."""
from __future__ import annotations

import difflib
import json
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from efp_tables.builders import time_series, weekly
from efp_tables.errors import ModelError
from efp_tables.io.json_upgrade import Upgraded, upgrade
from efp_tables.tables import schema as s
from efp_tables.tables.model import (MAX_PERIOD_HOURS, SERIES_VALUES, Model, bounds_text, bounds_violated,
                                     frame_from_rows, limited, magnitude_text, magnitude_violated)
from efp_tables.units import to_canonical

EDGE_CLASSES = ("EdgeUsagePattern", "EdgeUsageJourney", "EdgeFunction", *s.EDGE_DEVICE_CLASSES,
                *s.EDGE_COMPONENT_CLASSES, *s.EDGE_DEVICE_NEED_CLASSES, *s.EDGE_COMPONENT_NEED_CLASSES,
                "RecurrentServerNeed", "EdgeDeviceGroup")
EXTERNAL_API_CLASSES = (*s.EXTERNAL_API_CLASSES, *s.EXTERNAL_API_SERVER_CLASSES.values(),
                        *s.EXTERNAL_API_JOB_CLASSES.values())
SUPPORTED = ("Sources", "System", "UsagePattern", "UsageJourney", "UsageJourneyStep", "Job", "GPUJob",
             "VideoStreamingJob", "Server", "GPUServer", "BoaviztaCloudServer", "Storage", "VideoStreaming",
             "Device", "Network", "Country", *EDGE_CLASSES, *EXTERNAL_API_CLASSES)
_META = ("efootprint_version",)
_JOB_CLASSES = ("Job", "GPUJob", "VideoStreamingJob", *s.EXTERNAL_API_JOB_CLASSES.values())
# Where a builder's component need finds its weekly profile: on its device need, under this attribute.
_PROFILE_ON_DEVICE_NEED = {"RecurrentEdgeProcessCPUNeed": "recurrent_compute_needed",
                           "RecurrentEdgeProcessRAMNeed": "recurrent_ram_needed",
                           "RecurrentEdgeProcessStorageNeed": "recurrent_storage_needed",
                           "RecurrentEdgeWorkloadNeed": "recurrent_workload"}
# Tables of series, each row an hour of one: read as (system id, owner id, first hour, values) per series, and built
# column-wise (`_series_frame`), not from a row dict per hour.
_SERIES_TABLES = (*SERIES_VALUES, "component_need_profiles", "server_need_profiles")
_MAX_DAYS = MAX_PERIOD_HOURS // 24  # longest modeling duration read (a longer one is almost surely a typo)
_FLOAT32_MAX = float(np.finfo(np.float32).max)  # hourly inputs are float32, as in efootprint


def read_model(path: str | Path, system_id: str | None = None, ecobenchmark_needs: bool = False) -> Model:
    """Read one efootprint JSON file (efootprint 9.0.0 to 27.x). `system_id` defaults to the id of its System
    object. `ecobenchmark_needs`: an old file's WebApplicationJobs keep their ecobenchmark needs (efootprint 27
    gives them its Job defaults)."""
    return read_models([path], None if system_id is None else [system_id], ecobenchmark_needs)


def read_models(paths, system_ids: list[str] | None = None, ecobenchmark_needs: bool = False) -> Model:
    """Read efootprint JSON files as one model: a portfolio of their systems, one per file. `system_ids`: one per
    file (default: each file's System id); they must differ. Every file is parsed, upgraded and read into the rows
    of all files; each table is then built once from them, and the model validated once. With several files, an
    error names its file."""
    paths = [Path(path) for path in paths]
    if not paths:
        raise ModelError("portfolio", "files", [], "at least one efootprint JSON file")
    if system_ids is not None and len(system_ids) != len(paths):
        raise ModelError("portfolio", "system_ids", list(system_ids), f"one system id per file ({len(paths)} files)")
    several = len(paths) > 1
    gathered = _Gathered()
    files: list[Upgraded] = []
    owners: dict[str, str] = {}  # system id -> the file that has it
    for i, path in enumerate(paths):
        where = path.name
        try:
            document, texts_checked = _parsed(path)
            upgraded = upgraded_document(document, where, ecobenchmark_needs, texts_checked, copy=False)
            system_id = _read_current(upgraded, None if system_ids is None else system_ids[i], where, gathered)
        except ModelError as exc:
            raise _in_file(exc, path, several) from None
        if system_id in owners:
            raise ModelError("portfolio", "system_id", system_id,
                             f"distinct system ids across models ({owners[system_id]} and {where} both have it)")
        owners[system_id] = where
        files.append(upgraded)
        gathered.end_file()
    try:
        return gathered.validated()
    except ModelError as exc:
        if not several:
            raise files[0].explained(exc) from None
        error = exc
    # Every rule holds within a system: a portfolio fails where one of its files fails alone, which is then named.
    for i, upgraded in enumerate(files):
        try:
            gathered.validated(i)
        except ModelError as exc:
            raise _in_file(upgraded.explained(exc), paths[i], True) from None
    raise error


def _in_file(error: ModelError, path: Path, several: bool) -> ModelError:
    """An error of one file of several, its object named with the file (unless the file is its object)."""
    if not several or error.obj in (path.name, str(path)):
        return error
    return type(error)(f"{error.obj} in {path.name}", error.attribute, error.value, error.expected)


# A lone surrogate (which no UTF-8 output can hold) can only come from a \u escape in the JSON text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _parsed(path: Path) -> tuple[dict, bool]:
    """The file's parsed JSON, and whether its texts are known to be valid Unicode (no escaped surrogate)."""
    text = _text(path)
    return _loads(text, path), _SURROGATE_ESCAPE.search(text) is None


def read_document(path: str | Path) -> dict:
    """The parsed JSON of an efootprint file, as written (any version)."""
    return _loads(_text(Path(path)), Path(path))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(str(path), "file", str(path),
                         f"a readable efootprint JSON file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ModelError(str(path), "file", f"byte {exc.start}",
                         f"a UTF-8 text file of efootprint JSON ({exc.reason})") from None


def _loads(text: str, path: Path):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(str(path), "JSON", f"line {exc.lineno} column {exc.colno}", f"valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ModelError(str(path), "JSON", "nesting too deep", "an efootprint JSON model") from None
    except ValueError as exc:  # an integer of more than sys.get_int_max_str_digits() digits
        raise ModelError(str(path), "JSON", "a number too long to read", f"valid JSON numbers ({exc})") from None


def model_rows(document: dict, system_id: str | None = None,
               where: str = "model") -> dict[str, list[dict] | pl.DataFrame]:
    """The rows of every input table (for Model.from_rows); the hourly occurrences come as one DataFrame.
    An older document is upgraded first; an error then names the file's version."""
    return upgraded_rows(upgraded_document(document, where), system_id, where)


def upgraded_document(document, where: str = "model", ecobenchmark_needs: bool = False,
                      texts_checked: bool = False, copy: bool = True) -> Upgraded:
    """A parsed efootprint JSON document of any version read, in the efootprint 27 form (io.json_upgrade).
    `texts_checked`: its texts are known to be valid Unicode. `copy=False`: the upgrade may change `document`."""
    if not isinstance(document, dict):
        raise ModelError(where, "document", type(document).__name__, "a JSON object of classes")
    if not texts_checked:
        _check_texts(document, where)
    return upgrade(document, where, ecobenchmark_needs, copy=copy)


def upgraded_rows(upgraded: Upgraded, system_id: str | None = None,
                  where: str = "model") -> dict[str, list[dict] | pl.DataFrame]:
    """model_rows of an upgraded document."""
    gathered = _Gathered()
    _read_current(upgraded, system_id, where, gathered)
    return gathered.rows()


def _read_current(upgraded: Upgraded, system_id: str | None, where: str, gathered: _Gathered) -> str:
    """Reads an upgraded document into `gathered`; returns its system id. An error names the file's version."""
    try:
        return _current_rows(upgraded.document, system_id, where, gathered)
    except ModelError as exc:
        raise upgraded.explained(exc) from None


class _Gathered:
    """The rows of every table read from one or more files, each file's share remembered: each table is then
    built once (`model()`), or from one file's rows alone (`model(i)`, to locate an error)."""

    def __init__(self):
        self.rows_of: dict[str, list[dict]] = {t.name: [] for t in s.TABLES if t.name not in _SERIES_TABLES}
        # per series table: (system id, owner id, first hour, values) of each series
        self.series: dict[str, list[tuple[str, str, int, np.ndarray]]] = {name: [] for name in _SERIES_TABLES}
        self.ends: list[dict[str, int]] = []  # after each file, the length of every list
        # Hourly series read, by their JSON (compressed or form inputs): copies of a model in a portfolio decode
        # each once.
        self.known_series: dict[str, time_series.HourlySeries] = {}

    def end_file(self) -> None:
        self.ends.append({name: len(items) for name, items in (*self.rows_of.items(), *self.series.items())})

    def _share(self, name: str, items: list, file: int | None) -> list:
        if file is None:
            return items
        return items[self.ends[file - 1][name] if file else 0:self.ends[file][name]]

    def model(self, file: int | None = None) -> Model:
        """The model of every file read (or of file number `file` alone), not validated yet."""
        built = {}
        for table in s.TABLES:
            if table.name in self.series:
                built[table.name] = _series_frame(table, self._share(table.name, self.series[table.name], file))
            else:
                rows = self._share(table.name, self.rows_of[table.name], file)
                built[table.name] = frame_from_rows(table, rows) if rows else table.empty()
        return Model(**built)

    def validated(self, file: int | None = None) -> Model:
        """`model(file)` validated, told its series tables' runs (from the series read, not from their rows)."""
        return self.model(file).validated({name: _series_run_starts(self._share(name, self.series[name], file))
                                           for name in SERIES_VALUES})

    def rows(self) -> dict[str, list[dict] | pl.DataFrame]:
        """Rows per table name, for Model.from_rows (the series tables as frames)."""
        return {**self.rows_of, **{name: _series_frame(s.BY_NAME[name], series)
                                    for name, series in self.series.items()}}


def _series_frame(table: s.Table, series: list[tuple[str, str, int, np.ndarray]]) -> pl.DataFrame:
    """One frame of many series (columns: system id, owner id, hour, value): their hours and values in one array
    each, their ids repeated (a chunk per series: repeating a value is cheaper than gathering)."""
    if not series:
        return table.empty()
    sizes = np.array([values.size for *_, values in series])
    starts = np.cumsum(sizes) - sizes
    # Each series' hours written in place: on a portfolio's 3.9M rows some 6x faster than one arange plus the
    # repeated offsets (two more arrays of every row, and np.repeat's cost per row).
    hours = np.empty(int(sizes.sum()), dtype=np.int64)
    for (_, _, first, _), start, size in zip(series, starts.tolist(), sizes.tolist()):
        hours[start:start + size] = np.arange(first, first + size, dtype=np.int64)
    system, owner, hour, value = table.columns
    ids = {name: pl.concat([pl.Series(name, [one[i]], dtype=pl.String).new_from_index(0, size)
                            for one, size in zip(series, sizes.tolist())], rechunk=False)
           for i, name in enumerate((system, owner))}
    values = np.concatenate([values for *_, values in series], dtype=np.float64)
    return pl.DataFrame([*ids.values(), pl.Series(hour, hours), pl.Series(value, values)])


def _series_run_starts(series: list[tuple[str, str, int, np.ndarray]]) -> np.ndarray:
    """The first row of each run of `_series_frame(table, series)` (as tables.runs.run_starts finds them on its
    rows): each series is one run, but one of the same ids as the series before it, which continues that run."""
    series = [one for one in series if one[3].size]  # an empty series has no row
    if not series:
        return np.zeros(0, dtype=np.int64)
    sizes = np.array([values.size for *_, values in series], dtype=np.int64)
    system, owner = (np.array([one[i] for one in series], dtype=object) for i in (0, 1))
    new = np.ones(len(series), dtype=bool)
    new[1:] = (system[1:] != system[:-1]) | (owner[1:] != owner[:-1])
    return (np.cumsum(sizes) - sizes)[new]


def _current_rows(document: dict, system_id: str | None, where: str, gathered: _Gathered) -> str:
    unknown = [k for k in document if k not in SUPPORTED and k not in _META]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), SUPPORTED, n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ModelError(where, "class", unknown[0], f"one of the supported classes {list(SUPPORTED)}{hint}")
    objects = {}
    for cls, members in document.items():
        if cls in _META or cls == "Sources":
            continue
        if not isinstance(members, dict):
            raise ModelError(where, cls, type(members).__name__, "an object of objects keyed by id")
        for object_id, obj in members.items():
            if not isinstance(obj, dict):
                raise ModelError(f"{cls} {object_id!r}", "object", obj, "a JSON object of attributes")
            if object_id in objects:
                raise ModelError(f"{cls} {object_id!r}", "id", object_id,
                                 f"an id used by a single object (it is also the id of a {objects[object_id][0]})")
            objects[object_id] = (cls, obj)
    systems = [(oid, obj) for oid, (cls, obj) in objects.items() if cls == "System"]
    if len(systems) != 1:
        raise ModelError(where, "System", [oid for oid, _ in systems], "exactly one System object")
    reader = _Reader(objects, system_id or systems[0][0], gathered)
    reader.rows(*systems[0])
    return reader.system_id


def _series_key(value) -> str | None:
    """An hourly series' JSON as a text, when it is compressed or form inputs (short texts, long series)."""
    if isinstance(value, dict) and ("compressed_values" in value or "form_inputs" in value):
        try:
            return json.dumps(value, sort_keys=True)
        except (TypeError, ValueError):  # not JSON-like: let the reader say what is wrong
            return None
    return None


class _Reader:
    def __init__(self, objects: dict[str, tuple[str, dict]], system_id: str, gathered: _Gathered):
        self.objects = objects
        self.system_id = system_id
        self.out = gathered.rows_of  # rows of every table, shared by the files read together
        self.series_of = gathered.series
        self.known_series = gathered.known_series

    # --- helpers -------------------------------------------------------------------------------------
    def ref(self, owner: str, attribute: str, value, classes: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in self.objects:
            raise ModelError(owner, attribute, value, f"the id of a {' or '.join(classes)} of the file")
        cls = self.objects[value][0]
        if cls not in classes:
            raise ModelError(owner, attribute, value, f"a {' or '.join(classes)}, not a {cls}")
        return value

    def quantity(self, owner: str, obj: dict, attribute: str, unit: str, optional: bool = False,
                 field: s.Field | None = None):
        """`attribute` of `obj` in `unit`; with a `field`, its bounds are checked here, to show the value as
        written in the file (the model checks them again, in canonical units)."""
        if attribute not in obj:
            if optional:
                return None
            raise ModelError(owner, attribute, None, f"a quantity in {unit} (attribute missing)")
        value = obj[attribute]
        if optional and (value is None or (isinstance(value, dict) and value.get("value") is None)):
            return None
        return self.checked(owner, attribute, value, unit, field)

    @staticmethod
    def checked(owner: str, attribute: str, value, unit: str, field: s.Field | None) -> float:
        result = _canonical(owner, attribute, value, unit)
        if field is not None and bounds_violated(field, result):
            raise ModelError(owner, attribute, _shown(value),
                             bounds_text(field) + ("" if field.unit else f" (in {unit})"))
        if magnitude_violated(result):
            raise ModelError(owner, attribute, _shown(value), magnitude_text(field, unit))
        return result

    def text(self, owner: str, obj: dict, attribute: str) -> str:
        value = obj.get(attribute)
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, str):
            raise ModelError(owner, attribute, value, "a text value")
        return value

    def optional_text(self, owner: str, obj: dict, attribute: str) -> str:
        return self.text(owner, obj, attribute) if obj.get(attribute) is not None else ""

    def fields(self, table: s.Table, owner: str, obj: dict, skip: tuple[str, ...] = ()) -> dict:
        row = {}
        for f in _quantity_fields(table):
            if f.name not in skip:
                row[f.name] = self.quantity(owner, obj, f.name, f.unit, optional=f.nullable, field=f)
        return row

    def weighted(self, owner: str, obj: dict, attribute: str, classes: tuple[str, ...],
                 edge: s.Table, weight: str = "weight") -> list[tuple[str, float]]:
        value = obj.get(attribute)
        if isinstance(value, list):  # a list of ids: weight 1 each, repeats summed
            pairs: dict[str, float] = {}
            for item in value:
                pairs[self.ref(owner, attribute, item, classes)] = pairs.get(item, 0.0) + 1.0
            return list(pairs.items())
        if not isinstance(value, dict):
            raise ModelError(owner, attribute, value, f"a dict of {'/'.join(classes)} ids to weights, or a list of ids")
        weight_field = _field(edge, weight)
        return [(self.ref(owner, attribute, key, classes),
                 self.checked(owner, f"{attribute}[{key}]", number, "dimensionless", weight_field))
                for key, number in value.items()]

    def add(self, table: str, row: dict) -> None:
        self.out[table].append({"system_id": self.system_id, **row})

    def named(self, object_id: str, cls: str) -> tuple[str, dict]:
        obj = self.objects[object_id][1]
        return f"{cls} {object_id!r}", obj

    # --- objects -------------------------------------------------------------------------------------
    def rows(self, system_id: str, system: dict) -> None:
        self.add("systems", {"name": system.get("name", system_id)})
        owner = f"System {system_id!r}"
        edge_patterns = system.get("edge_usage_patterns") or []
        if not isinstance(edge_patterns, list):
            raise ModelError(owner, "edge_usage_patterns", edge_patterns, "a list of EdgeUsagePattern ids")
        for position, pattern_id in enumerate(dict.fromkeys(edge_patterns)):
            self.ref(owner, "edge_usage_patterns", pattern_id, ("EdgeUsagePattern",))
            self.add("system_edge_usage_patterns", {"usage_pattern_id": pattern_id, "position": position})
            self.edge_usage_pattern(pattern_id)
        patterns = system.get("usage_patterns")
        if not isinstance(patterns, list) or not (patterns or edge_patterns):
            raise ModelError(owner, "usage_patterns", patterns,
                             "a non-empty list of UsagePattern ids (or edge_usage_patterns)")
        seen: set[str] = set()
        for position, pattern_id in enumerate(patterns):
            self.ref(owner, "usage_patterns", pattern_id, ("UsagePattern",))
            if pattern_id in seen:
                continue
            seen.add(pattern_id)
            self.add("system_usage_patterns", {"usage_pattern_id": pattern_id, "position": position})
            self.usage_pattern(pattern_id)
        self.unreached()

    def unreached(self) -> None:
        """Objects the file holds but no usage pattern of the System reaches (e.g. a step in no journey that
        shares a job with one that is): efootprint still computes their own attributes (a storage's
        manufacturing footprint, a server's capacity), so they are read too. They take part in no hourly
        result. Usage patterns outside the System are left out, as efootprint leaves them out of its totals."""
        readers = {"UsageJourney": self.usage_journey, "UsageJourneyStep": self.step, "Job": self.job,
                   "GPUJob": self.job, "VideoStreamingJob": self.job, "VideoStreaming": self.service,
                   **{cls: self.job for cls in s.EXTERNAL_API_JOB_CLASSES.values()},
                   **{cls: self.external_api for cls in s.EXTERNAL_API_CLASSES},
                   "Server": self.server, "GPUServer": self.server, "BoaviztaCloudServer": self.server,
                   "Storage": self.storage, "Device": self.device, "Network": self.network, "Country": self.country,
                   "EdgeUsageJourney": self.edge_journey, "EdgeFunction": self.edge_function,
                   "RecurrentServerNeed": self.server_need, "EdgeDeviceGroup": self.device_group,
                   **{cls: self.edge_device for cls in s.EDGE_DEVICE_CLASSES},
                   **{cls: self.device_need for cls in s.EDGE_DEVICE_NEED_CLASSES}}
        for object_id, (cls, _) in list(self.objects.items()):
            if cls in readers:
                readers[cls](object_id)

    def once(self, object_id: str) -> bool:
        done = getattr(self, "_done", set())
        self._done = done
        if object_id in done:
            return False
        done.add(object_id)
        return True

    def usage_pattern(self, pattern_id: str) -> None:
        owner, obj = self.named(pattern_id, "UsagePattern")
        network = self.ref(owner, "network", obj.get("network"), ("Network",))
        country = self.ref(owner, "country", obj.get("country"), ("Country",))
        self.add("usage_patterns", {"usage_pattern_id": pattern_id, "name": obj.get("name", pattern_id),
                                    "network_id": network, "country_id": country})
        series = self.hourly_series(owner, obj.get("hourly_occurrences"))
        self.series_of["hourly_occurrences"].append(
            (self.system_id, pattern_id, time_series.epoch_hours(series.start), series.values))
        journeys = self.weighted(owner, obj, "usage_journeys", ("UsageJourney",), s.PATTERN_JOURNEYS)
        for position, (journey_id, weight) in enumerate(journeys):
            self.add("pattern_journeys", {"usage_pattern_id": pattern_id, "journey_id": journey_id,
                                          "weight": weight, "position": position})
            self.usage_journey(journey_id)
        devices = obj.get("devices", [])
        if not isinstance(devices, list):
            raise ModelError(owner, "devices", devices, "a list of Device ids")
        device_ids = [self.ref(owner, "devices", device_id, ("Device",)) for device_id in devices]
        for position, device_id in enumerate(dict.fromkeys(device_ids)):
            self.add("pattern_devices", {"usage_pattern_id": pattern_id, "device_id": device_id,
                                         "position": position})
            self.device(device_id)
        self.network(network)
        self.country(country)

    def hourly_series(self, owner: str, value, name: str = "hourly_occurrences") -> time_series.HourlySeries:
        key = _series_key(value)
        if key in self.known_series:
            return self.known_series[key]
        try:
            series = self._hourly_series(owner, value)
            if key is not None:
                series.values.flags.writeable = False  # shared by every series of this JSON
                self.known_series[key] = series
            return series
        except ModelError as exc:
            if name == "hourly_occurrences":
                raise
            raise ModelError(exc.obj, exc.attribute.replace("hourly_occurrences", name, 1), exc.value,
                             exc.expected.replace("occurrences", "deployment starts")) from None

    def _hourly_series(self, owner: str, value) -> time_series.HourlySeries:
        if not isinstance(value, dict):
            raise ModelError(owner, "hourly_occurrences", value, "an hourly series object")
        if "form_inputs" in value:
            form = value["form_inputs"]
            if not isinstance(form, dict):
                raise ModelError(owner, "hourly_occurrences.form_inputs", form, "an object of form inputs")
            return self.series(owner, lambda: time_series.from_form_inputs(form, owner))
        unit = value.get("unit", "occurrence")
        # the unit converts to occurrences (its factor found once, as a quantity's is)
        _canonical(owner, "hourly_occurrences.unit", {"value": 1.0, "unit": unit}, "occurrence")
        try:
            start = datetime.fromisoformat(str(value.get("start_date")))
        except ValueError:
            raise ModelError(owner, "hourly_occurrences.start_date", value.get("start_date"),
                             "a datetime like '2025-01-01 00:00:00'") from None
        # efootprint writes usage series in local wall-clock time (timezone null) and converts them to UTC by
        # the country's offset; a series already in UTC would need no conversion, which we do not model.
        if value.get("timezone") is not None or start.tzinfo is not None:
            raise ModelError(owner, "hourly_occurrences.timezone", value.get("timezone") or str(start.tzinfo),
                             "a naive local start date (timezone null): time-zone aware series are not supported")
        if "compressed_values" in value:
            attribute = "hourly_occurrences.compressed_values"
            if not isinstance(value["compressed_values"], str):
                raise ModelError(owner, attribute, value["compressed_values"],
                                 "a text: base64 of a zstandard frame of float32 values")
            values = time_series.decode_compressed(value["compressed_values"], owner, _MAX_DAYS * 24)
            shown = f"{value['compressed_values'][:24]}... ({values.size} values)"
        elif "values" in value and isinstance(value["values"], list):
            attribute = "hourly_occurrences.values"
            bad = next((i for i, v in enumerate(value["values"])
                        if isinstance(v, bool) or not isinstance(v, (int, float))), None)
            if bad is not None:  # an index: a bad value may be None
                raise ModelError(owner, f"{attribute}[{bad}]", value["values"][bad], "a number (one per hour)")
            values = np.asarray([_as_float(v) for v in value["values"]], dtype=np.float64)
            shown = value["values"]
        else:
            raise ModelError(owner, "hourly_occurrences", sorted(value),
                             "compressed_values, values or form_inputs")
        if values.size == 0:
            raise ModelError(owner, attribute, shown, "at least one value (one per hour from start_date)")
        if values.size > _MAX_DAYS * 24:
            raise ModelError(owner, attribute, f"{values.size} values", f"at most {_MAX_DAYS * 24} hourly values")
        not_finite = np.flatnonzero(~(np.abs(values) <= _FLOAT32_MAX))
        if not_finite.size:
            i = int(not_finite[0])
            raise ModelError(owner, f"{attribute}[{i}]", float(values[i]),
                             f"a finite number of occurrences, at most {_FLOAT32_MAX:.3g} (float32) "
                             f"({not_finite.size} such values)")
        return self.series(owner, lambda: time_series.HourlySeries(start.replace(tzinfo=None), values))

    # --- edge ----------------------------------------------------------------------------------------
    def counted(self, owner: str, obj: dict, attribute: str, classes: tuple[str, ...]) -> list[tuple[str, float]]:
        """A list of ids, each with how many times it is listed (efootprint counts repeats)."""
        value = obj.get(attribute, [])
        if not isinstance(value, list):
            raise ModelError(owner, attribute, value, f"a list of {' or '.join(classes)} ids")
        counts: dict[str, float] = {}
        for item in value:
            self.ref(owner, attribute, item, classes)
            counts[item] = counts.get(item, 0.0) + 1.0
        return list(counts.items())

    def edge_usage_pattern(self, pattern_id: str) -> None:
        if not self.once(pattern_id):
            return
        owner, obj = self.named(pattern_id, "EdgeUsagePattern")
        network = self.ref(owner, "network", obj.get("network"), ("Network",))
        country = self.ref(owner, "country", obj.get("country"), ("Country",))
        span = (self.quantity(owner, obj, "usage_span", "hour", field=_field(s.EDGE_USAGE_PATTERNS, "usage_span"))
                if obj.get("usage_span") is not None else 6 * 8766.0)  # efootprint's default: 6 years
        self.add("edge_usage_patterns", {"usage_pattern_id": pattern_id, "name": obj.get("name", pattern_id),
                                         "network_id": network, "country_id": country, "usage_span": span})
        series = self.hourly_series(owner, obj.get("hourly_deployment_starts"), "hourly_deployment_starts")
        self.series_of["edge_deployment_starts"].append(
            (self.system_id, pattern_id, time_series.epoch_hours(series.start), series.values))
        journeys = obj.get("edge_usage_journeys")
        if not isinstance(journeys, list) or not journeys:
            raise ModelError(owner, "edge_usage_journeys", journeys, "a non-empty list of EdgeUsageJourney ids")
        if len(set(map(str, journeys))) != len(journeys):
            raise ModelError(owner, "edge_usage_journeys", journeys, "each EdgeUsageJourney once")
        for position, journey_id in enumerate(journeys):
            self.ref(owner, "edge_usage_journeys", journey_id, ("EdgeUsageJourney",))
            self.add("pattern_edge_journeys", {"usage_pattern_id": pattern_id, "edge_journey_id": journey_id,
                                               "position": position})
            self.edge_journey(journey_id)
        self.network(network)
        self.country(country)

    def edge_journey(self, journey_id: str) -> None:
        if not self.once(journey_id):
            return
        owner, obj = self.named(journey_id, "EdgeUsageJourney")
        self.add("edge_usage_journeys", {"edge_journey_id": journey_id, "name": obj.get("name", journey_id)})
        for position, (function_id, count) in enumerate(
                self.counted(owner, obj, "edge_functions", ("EdgeFunction",))):
            self.add("journey_edge_functions", {"edge_journey_id": journey_id, "edge_function_id": function_id,
                                                "count": count, "position": position})
            self.edge_function(function_id)

    def edge_function(self, function_id: str) -> None:
        if not self.once(function_id):
            return
        owner, obj = self.named(function_id, "EdgeFunction")
        self.add("edge_functions", {"edge_function_id": function_id, "name": obj.get("name", function_id)})
        for position, (need_id, count) in enumerate(
                self.counted(owner, obj, "recurrent_edge_device_needs", s.EDGE_DEVICE_NEED_CLASSES)):
            self.add("function_device_needs", {"edge_function_id": function_id, "device_need_id": need_id,
                                               "count": count, "position": position})
            self.device_need(need_id)
        for position, (need_id, count) in enumerate(
                self.counted(owner, obj, "recurrent_server_needs", ("RecurrentServerNeed",))):
            self.add("function_server_needs", {"edge_function_id": function_id, "server_need_id": need_id,
                                               "count": count, "position": position})
            self.server_need(need_id)

    def device_need(self, need_id: str) -> None:
        if not self.once(need_id):
            return
        cls = self.objects[need_id][0]
        owner, obj = self.named(need_id, cls)
        device_classes = {"RecurrentEdgeProcess": ("EdgeComputer",), "RecurrentEdgeWorkload": ("EdgeAppliance",)}
        device_id = self.ref(owner, "edge_device", obj.get("edge_device"),
                             device_classes.get(cls, s.EDGE_DEVICE_CLASSES))
        self.edge_device(device_id)
        self.add("edge_device_needs", {"device_need_id": need_id, "name": obj.get("name", need_id),
                                       "need_class": cls, "edge_device_id": device_id})
        component_needs = self.counted(owner, obj, "recurrent_edge_component_needs", s.EDGE_COMPONENT_NEED_CLASSES)
        if not component_needs:
            raise ModelError(owner, "recurrent_edge_component_needs", [],
                             "at least one component need (a device need with none loads no component)")
        components = getattr(self, "_component_devices", {})
        for position, (component_need_id, count) in enumerate(component_needs):
            self.add("device_need_component_needs", {"device_need_id": need_id,
                                                     "component_need_id": component_need_id, "count": count,
                                                     "position": position})
            self.component_need(component_need_id, obj)
            component_id = self.objects[component_need_id][1].get("edge_component")
            if components.get(component_id, device_id) != device_id:
                raise ModelError(owner, "recurrent_edge_component_needs", component_need_id,
                                 f"needs on components of its edge device {device_id!r} (component "
                                 f"{component_id!r} belongs to {components[component_id]!r})")

    def component_need(self, need_id: str, device_need: dict) -> None:
        if not self.once(need_id):
            return
        cls = self.objects[need_id][0]
        owner, obj = self.named(need_id, cls)
        component_id = self.ref(owner, "edge_component", obj.get("edge_component"), s.EDGE_COMPONENT_CLASSES)
        kind = s.EDGE_COMPONENT_KINDS[self.objects[component_id][0]]
        if cls in ("RecurrentEdgeStorageNeed", "RecurrentEdgeProcessStorageNeed") and kind != "storage":
            raise ModelError(owner, "edge_component", component_id, "an EdgeStorage")
        self.add("edge_component_needs", {"component_need_id": need_id, "name": obj.get("name", need_id),
                                          "need_class": cls, "component_id": component_id})
        # A builder's need reads its profile on its device need (efootprint computes it so).
        source, attribute = ((device_need, _PROFILE_ON_DEVICE_NEED[cls]) if cls in _PROFILE_ON_DEVICE_NEED
                             else (obj, "recurrent_need"))
        week = weekly.checked_week(weekly.week_from_json(source.get(attribute), s.EDGE_NEED_UNITS[kind], owner,
                                                         attribute), kind, owner, attribute)
        self.add_profile("component_need_profiles", need_id, week)

    def add_profile(self, table: str, owner_id: str, week: np.ndarray) -> None:
        self.series_of[table].append((self.system_id, owner_id, 0, week))

    def server_need(self, need_id: str) -> None:
        if not self.once(need_id):
            return
        owner, obj = self.named(need_id, "RecurrentServerNeed")
        device_id = self.ref(owner, "edge_device", obj.get("edge_device"), s.EDGE_DEVICE_CLASSES)
        self.edge_device(device_id)
        self.add("edge_server_needs", {"server_need_id": need_id, "name": obj.get("name", need_id),
                                       "edge_device_id": device_id})
        attribute = "recurrent_volume_per_edge_device"
        week = (weekly.week_from_json(obj[attribute], "occurrence", owner, attribute) if obj.get(attribute)
                else np.ones(weekly.HOURS_PER_WEEK))  # efootprint's default: one call per hour
        weekly.checked_week(week, "occurrence", owner, attribute)
        self.add_profile("server_need_profiles", need_id, week)
        for position, (job_id, weight) in enumerate(self.weighted(owner, obj, "jobs", _JOB_CLASSES,
                                                                  s.SERVER_NEED_JOBS)):
            self.add("server_need_jobs", {"server_need_id": need_id, "job_id": job_id, "weight": weight,
                                          "position": position})
            self.job(job_id)

    def edge_device(self, device_id: str) -> None:
        if not self.once(device_id):
            return
        cls = self.objects[device_id][0]
        owner, obj = self.named(device_id, cls)
        row = {"edge_device_id": device_id, "name": obj.get("name", device_id), "device_class": cls,
               **{name: None for name in ("power", "idle_power", "ram", "compute", "base_ram_consumption",
                                          "base_compute_consumption")}}
        f = lambda name: _field(s.EDGE_DEVICES, name)  # noqa: E731
        row["lifespan"] = self.quantity(owner, obj, "lifespan", "hour", field=f("lifespan"))
        builder = cls != "EdgeDevice"
        cfm = "carbon_footprint_manufacturing" if builder else "structure_carbon_footprint_manufacturing"
        row["structure_carbon_footprint_manufacturing"] = self.quantity(
            owner, obj, cfm, "kilogram", field=f("structure_carbon_footprint_manufacturing"))
        if builder:
            for name in ("power", "idle_power"):
                row[name] = self.quantity(owner, obj, name, "kilowatt", field=f(name))
        if cls == "EdgeComputer":
            for name in ("ram", "compute", "base_ram_consumption", "base_compute_consumption"):
                row[name] = self.quantity(owner, obj, name, s.EDGE_DEVICES.units[name], field=f(name))
        self.add("edge_devices", row)
        components = obj.get("components")
        if not isinstance(components, list):
            raise ModelError(owner, "components", components, "a list of edge component ids")
        for position, component_id in enumerate(components):
            self.ref(owner, "components", component_id, s.EDGE_COMPONENT_CLASSES)
            self.edge_component(component_id, device_id, row, position)

    def edge_component(self, component_id: str, device_id: str, device: dict, position: int) -> None:
        if not self.once(component_id):
            raise ModelError(f"{self.objects[component_id][0]} {component_id!r}", "edge_device", device_id,
                             "a component of a single edge device (it is listed by two devices or twice)")
        cls = self.objects[component_id][0]
        owner, obj = self.named(component_id, cls)
        table = s.EDGE_COMPONENTS
        row = {"component_id": component_id, "name": obj.get("name", component_id), "component_class": cls,
               "edge_device_id": device_id, "position": position}
        for f in _quantity_fields(table):
            row[f.name] = self.quantity(owner, obj, f.name, f.unit, optional=True, field=f)
        # The components of the builders mirror their device (efootprint computes these from it).
        row.update({name: device[source] for name, source in s.EDGE_MIRRORED_INPUTS.get(cls, {}).items()})
        row.update(s.EDGE_FIXED_INPUTS.get(cls, {}))
        row["nb_of_units"] = 1.0 if row["nb_of_units"] is None else row["nb_of_units"]
        required = {"compute": ("compute_per_unit", "base_compute_consumption"),
                    "ram": ("ram_per_unit", "base_ram_consumption"),
                    "storage": ("storage_capacity_per_unit", "carbon_footprint_manufacturing_per_storage_capacity",
                                "base_storage_need"), "workload": ()}[s.EDGE_COMPONENT_KINDS[cls]]
        for name in ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "idle_power_per_unit", "lifespan",
                     *required):
            if row[name] is None:
                raise ModelError(owner, name, None, f"a quantity in {table.units[name]}")
        self.add("edge_components", row)
        self._component_devices = {**getattr(self, "_component_devices", {}), component_id: device_id}

    def device_group(self, group_id: str) -> None:
        if not self.once(group_id):
            return
        owner, obj = self.named(group_id, "EdgeDeviceGroup")
        self.add("edge_device_groups", {"group_id": group_id, "name": obj.get("name", group_id)})
        for sub_group_id, count in self.weighted(owner, obj, "sub_group_counts", ("EdgeDeviceGroup",),
                                                 s.GROUP_SUBGROUPS, "count"):
            self.add("group_subgroups", {"group_id": group_id, "sub_group_id": sub_group_id, "count": count})
            self.device_group(sub_group_id)
        for device_id, count in self.weighted(owner, obj, "edge_device_counts", s.EDGE_DEVICE_CLASSES,
                                              s.GROUP_DEVICES, "count"):
            self.add("group_devices", {"group_id": group_id, "edge_device_id": device_id, "count": count})
            self.edge_device(device_id)

    @staticmethod
    def series(owner: str, build) -> time_series.HourlySeries:
        """A series built by `build`, its errors told as errors of the pattern's hourly_occurrences."""
        try:
            return build()
        except ModelError as exc:
            attribute = exc.attribute if exc.attribute.startswith("hourly_occurrences") else \
                f"hourly_occurrences.{exc.attribute}"
            raise ModelError(owner, attribute, exc.value, exc.expected) from None

    def usage_journey(self, journey_id: str) -> None:
        if not self.once(journey_id):
            return
        owner, obj = self.named(journey_id, "UsageJourney")
        self.add("usage_journeys", {"journey_id": journey_id, "name": obj.get("name", journey_id)})
        steps = self.weighted(owner, obj, "uj_steps", ("UsageJourneyStep",), s.JOURNEY_STEPS)
        for position, (step_id, weight) in enumerate(steps):
            self.add("journey_steps", {"journey_id": journey_id, "step_id": step_id, "weight": weight,
                                       "position": position})
            self.step(step_id)

    def step(self, step_id: str) -> None:
        if not self.once(step_id):
            return
        owner, obj = self.named(step_id, "UsageJourneyStep")
        self.add("usage_journey_steps", {"step_id": step_id, "name": obj.get("name", step_id),
                                         **self.fields(s.USAGE_JOURNEY_STEPS, owner, obj)})
        for position, (job_id, weight) in enumerate(
                self.weighted(owner, obj, "jobs", _JOB_CLASSES, s.STEP_JOBS)):
            self.add("step_jobs", {"step_id": step_id, "job_id": job_id, "weight": weight, "position": position})
            self.job(job_id)

    def job(self, job_id: str) -> None:
        if not self.once(job_id):
            return
        cls = self.objects[job_id][0]
        owner, obj = self.named(job_id, cls)
        row = {"job_id": job_id, "name": obj.get("name", job_id), "job_class": cls, "server_id": None,
               "service_id": None, "resolution": None}
        if cls in s.EXTERNAL_API_JOB_CLASSES.values():
            self.external_api_job(owner, obj, cls, row)
        elif cls == "VideoStreamingJob":
            row["service_id"] = self.ref(owner, "service", obj.get("service"), ("VideoStreaming",))
            row["resolution"] = self.text(owner, obj, "resolution")
            row["data_stored"] = self.quantity(owner, obj, "data_stored", "megabyte_stored")
            row["video_duration"] = self.quantity(owner, obj, "video_duration", "hour",
                                                  field=_field(s.JOBS, "video_duration"))
            row["refresh_rate"] = self.quantity(owner, obj, "refresh_rate", "1 / second",
                                                field=_field(s.JOBS, "refresh_rate"))
            self.service(row["service_id"])
        else:
            server_classes = ("GPUServer",) if cls == "GPUJob" else ("Server", "BoaviztaCloudServer")
            row["server_id"] = self.ref(owner, "server", obj.get("server"), server_classes)
            compute_unit = "gpu" if cls == "GPUJob" else "cpu_core"
            row.update(self.fields(s.JOBS, owner, obj, skip=("video_duration", "refresh_rate")))
            row["compute_needed"] = self.quantity(owner, obj, "compute_needed", compute_unit,
                                                  field=_field(s.JOBS, "compute_needed"))
            self.server(row["server_id"])
        self.add("jobs", row)

    def external_api_job(self, owner: str, obj: dict, cls: str, row: dict) -> None:
        """An EcoLogits job: its API and its request. Its other needs are efootprint's constants (no data stored,
        compute or RAM) or calculated (data transferred, request duration)."""
        api_class = next(api for api, job in s.EXTERNAL_API_JOB_CLASSES.items() if job == cls)
        row["external_api_id"] = self.ref(owner, "external_api", obj.get("external_api"), (api_class,))
        row["data_stored"] = 0.0
        if cls == "EcoLogitsGenAIExternalAPIJob":
            row["output_token_count"] = self.quantity(owner, obj, "output_token_count", "dimensionless",
                                                      field=_field(s.JOBS, "output_token_count"))
        else:
            row["resolution"] = self.text(owner, obj, "resolution")
            row["duration"] = self.quantity(owner, obj, "duration", "hour", field=_field(s.JOBS, "duration"))
            with_audio = obj.get("with_audio")
            with_audio = with_audio.get("value") if isinstance(with_audio, dict) else with_audio
            if not isinstance(with_audio, bool):
                raise ModelError(owner, "with_audio", with_audio, "true or false")
            row["with_audio"] = with_audio
        self.external_api(row["external_api_id"])

    def external_api(self, api_id: str) -> None:
        if not self.once(api_id):
            return
        cls = self.objects[api_id][0]
        owner, obj = self.named(api_id, cls)
        server_class = s.EXTERNAL_API_SERVER_CLASSES[cls]
        server_id = self.ref(owner, "server", obj.get("server"), (server_class,))
        if not self.once(server_id):
            raise ModelError(owner, "server", server_id, f"an {server_class} of this API only (another API names it)")
        self.add("external_apis", {"external_api_id": api_id, "name": obj.get("name", api_id), "api_class": cls,
                                   "provider": self.text(owner, obj, "provider"),
                                   "model_name": self.text(owner, obj, "model_name")})
        self.add("external_api_servers", {"external_api_server_id": server_id,
                                          "name": self.objects[server_id][1].get("name", server_id),
                                          "server_class": server_class, "external_api_id": api_id})

    def service(self, service_id: str) -> None:
        if not self.once(service_id):
            return
        owner, obj = self.named(service_id, "VideoStreaming")
        server_id = self.ref(owner, "server", obj.get("server"), ("Server", "BoaviztaCloudServer"))
        row = {"service_id": service_id, "name": obj.get("name", service_id), "service_class": "VideoStreaming",
               "server_id": server_id, **self.fields(s.SERVICES, owner, obj, skip=("base_compute_consumption",
                                                                                    *s.VIDEO_SERVICE_INPUTS))}
        for name in s.VIDEO_SERVICE_INPUTS:  # nullable in the table (a WebApplication has none), required here
            row[name] = self.quantity(owner, obj, name, s.SERVICES.units[name], field=_field(s.SERVICES, name))
        row["base_compute_consumption"] = self.quantity(owner, obj, "base_compute_consumption", "cpu_core",
                                                        optional=True,
                                                        field=_field(s.SERVICES, "base_compute_consumption")) or 0.0
        self.add("services", row)
        self.server(server_id)

    def server(self, server_id: str) -> None:
        if not self.once(server_id):
            return
        cls = self.objects[server_id][0]
        owner, obj = self.named(server_id, cls)
        compute_unit = "gpu" if cls == "GPUServer" else "cpu_core"
        server_type = self.text(owner, obj, "server_type")
        if server_type not in s.SERVER_TYPES:
            close = difflib.get_close_matches(server_type, s.SERVER_TYPES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ModelError(owner, "server_type", server_type, f"one of {list(s.SERVER_TYPES)}{hint}")
        row = {"server_id": server_id, "name": obj.get("name", server_id), "server_class": cls,
               "server_type": server_type, "provider": None, "instance_type": None}
        for f in _quantity_fields(s.SERVERS):
            row[f.name] = self.quantity(owner, obj, f.name, f.unit, optional=True, field=f)
        row["compute"] = self.quantity(owner, obj, "compute", compute_unit, optional=cls == "BoaviztaCloudServer",
                                       field=_field(s.SERVERS, "compute"))
        row["base_compute_consumption"] = self.quantity(owner, obj, "base_compute_consumption", compute_unit,
                                                        field=_field(s.SERVERS, "base_compute_consumption"))
        for required in ("lifespan", "power_usage_effectiveness", "average_carbon_intensity", "utilization_rate",
                         "base_ram_consumption"):
            if row[required] is None:
                raise ModelError(owner, required, None, f"a quantity in {s.SERVERS.units[required]}")
        if cls == "BoaviztaCloudServer":
            row["provider"] = self.text(owner, obj, "provider")
            row["instance_type"] = self.text(owner, obj, "instance_type")
        storage_id = obj.get("storage")
        row["storage_id"] = None if storage_id is None else self.ref(owner, "storage", storage_id, ("Storage",))
        self.add("servers", row)
        if storage_id is not None:
            self.storage(storage_id)

    def storage(self, storage_id: str) -> None:
        if not self.once(storage_id):
            return
        owner, obj = self.named(storage_id, "Storage")
        row = {"storage_id": storage_id, "name": obj.get("name", storage_id),
               **self.fields(s.STORAGES, owner, obj, skip=("power",))}
        # Not an input: efootprint's Storage sets 0 W itself, and files before efootprint 17 have no such key.
        row["power"] = self.quantity(owner, obj, "power", "kilowatt", optional="power" not in obj,
                                     field=_field(s.STORAGES, "power")) or 0.0
        self.add("storages", row)

    def device(self, device_id: str) -> None:
        if not self.once(device_id):
            return
        owner, obj = self.named(device_id, "Device")
        self.add("devices", {"device_id": device_id, "name": obj.get("name", device_id),
                             **self.fields(s.DEVICES, owner, obj)})

    def network(self, network_id: str) -> None:
        if not self.once(network_id):
            return
        owner, obj = self.named(network_id, "Network")
        self.add("networks", {"network_id": network_id, "name": obj.get("name", network_id),
                              **self.fields(s.NETWORKS, owner, obj)})

    def country(self, country_id: str) -> None:
        if not self.once(country_id):
            return
        owner, obj = self.named(country_id, "Country")
        timezone = obj.get("timezone")
        zone = timezone.get("zone") if isinstance(timezone, dict) else timezone
        _check_timezone(owner, zone)
        self.add("countries", {"country_id": country_id, "name": obj.get("name", country_id),
                               "short_name": self.optional_text(owner, obj, "short_name"), "timezone": zone,
                               **self.fields(s.COUNTRIES, owner, obj)})


# (unit written, canonical unit) -> the factor from one to the other, None for a unit that is not a plain multiple
# (an offset such as degC) or that to_canonical refuses (it then says why)
_FACTORS: dict[tuple[str, str], float | None] = {}


def _canonical(owner: str, attribute: str, value, unit: str) -> float:
    """to_canonical, a quantity {"value": number, "unit": text} converted by its units' factor, found once: pint
    converts so too (magnitude x factor), in some 40 us a value."""
    if type(value) is dict and type(value.get("value")) in (int, float) and type(value.get("unit", "")) is str:
        key = (value.get("unit", "dimensionless"), unit)
        if key not in _FACTORS:
            try:
                one, zero = (to_canonical({"value": number, "unit": key[0]}, unit, obj=owner, attribute=attribute)
                             for number in (1.0, 0.0))
                _FACTORS[key] = one if zero == 0.0 else None
            except ModelError:
                _FACTORS[key] = None
        factor = _FACTORS[key]
        if factor is not None:
            try:
                result = float(value["value"]) * factor
            except OverflowError:  # an integer beyond float range: to_canonical says so
                result = math.inf
            if math.isfinite(result):
                return result + 0.0  # -0.0 as 0.0
    return to_canonical(value, unit, obj=owner, attribute=attribute)


def _check_texts(document: dict, where: str) -> None:
    """Every text (keys included) is valid Unicode: JSON can escape lone surrogates ("\\ud800"), which no
    UTF-8 output (ids in Parquet, messages) can hold."""
    stack: list[tuple[tuple, object]] = [((), document)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            for text in (key, child):
                if isinstance(text, str) and not _encodable(text):
                    full = (*path, key)  # class, object id, attribute, ...
                    if len(full) >= 3:
                        obj, attribute = f"{full[0]} {full[1]!r}", ".".join(map(str, full[2:]))
                    else:
                        obj, attribute = where, "class" if len(full) == 1 and text is key else str(full[0])
                    raise ModelError(obj, attribute.encode("utf-8", "backslashreplace").decode(), text,
                                     "valid Unicode text (no lone surrogate such as \\ud800)")
            if isinstance(child, (dict, list)):
                stack.append(((*path, key), child))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_float(number: int | float) -> float:
    """A JSON number as a float; an integer too large for a float is infinite (and rejected as such)."""
    try:
        return float(number)
    except OverflowError:
        return math.copysign(math.inf, number)


def _field(table: s.Table, name: str) -> s.Field:
    """A field of the table, with the computation's limits."""
    return _limited_fields(table)[name]


def _quantity_fields(table: s.Table) -> tuple[s.Field, ...]:
    """The table's quantity fields, with the computation's limits."""
    return tuple(f for f in _limited_fields(table).values() if f.unit is not None)


_LIMITED_FIELDS: dict[str, dict[str, s.Field]] = {}  # by table name (a Table is slow to hash)


def _limited_fields(table: s.Table) -> dict[str, s.Field]:
    fields = _LIMITED_FIELDS.get(table.name)
    if fields is None:
        fields = _LIMITED_FIELDS[table.name] = {f.name: limited(table, f) for f in table.fields}
    return fields


def _shown(value):
    """A quantity as written, for an error."""
    return f"{value.get('value')} {value.get('unit', '')}".strip() if isinstance(value, dict) else value


def _check_timezone(owner: str, zone) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones
    try:
        if not isinstance(zone, str) or not zone:
            raise TypeError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, TypeError, ValueError, OSError):
        close = difflib.get_close_matches(str(zone), sorted(available_timezones()), n=3)
        hint = f"; close matches: {close}" if close else ""
        raise ModelError(owner, "timezone", zone, f"an IANA time zone name such as 'Europe/Paris'{hint}") from None
