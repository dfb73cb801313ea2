"""The seeds' e-footprint API (efootprint 8.x to 9.0.0 names) as a thin layer over efp_tables' own Python API.

Every class here is a subclass of its efp_tables.builders.api class: it takes the old constructor arguments,
attribute names, units, SourceValue / SourceObject wrappers and efootprint 9.0.0's defaults, and turns them into
the efootprint 27 inputs of the API (renames.py says how, after the JSON upgrade chain). Computing, changes,
simulations and results are the API's; plots and graphs are the project's charts and graphs."""
from __future__ import annotations

import json
import re
import warnings
from functools import cache
from pathlib import Path
from typing import ClassVar

import pint
import polars as pl

from efp_tables.builders import live
from efp_tables.builders.calculated import ResultSeries, calculated_attribute_names
from efp_tables.builders.time_series import HourlySeries
from efp_tables.efootprint import renames
from efp_tables.errors import ModelError
from efp_tables.units import Quantity

DATA_PATH = Path(__file__).resolve().parents[2] / "data" / "efootprint_9_0_0.json"


@cache
def seed_era() -> dict:
    """efootprint 9.0.0's defaults, archetypes, countries and sources (scripts/make_efootprint_9_data.py)."""
    return json.loads(DATA_PATH.read_text())


# The seeds' unit registry: plain bytes as in efootprint <= 17, `core` as in 8.x, and efootprint 27's units too.
u = pint.UnitRegistry()
for _definition in ("cpu_core = [cpu_core]", "core = cpu_core", "gpu = [gpu]", "bit_ram = [information_ram]",
                    "byte_ram = 8 * bit_ram = B_ram", "bit_stored = [information_stored]",
                    "byte_stored = 8 * bit_stored = B_stored", "occurrence = []", "concurrent = []", "user = []"):
    u.define(_definition)


class OldNameWarning(UserWarning):
    """An old e-footprint name or unit was used; the message gives its efootprint 27 equivalent."""


_warned: set[str] = set()
_quiet = [False]  # while the layer reads efootprint 9.0.0's own data table, whose old names are not the user's


def old_name_used(old: str, new: str, why: str) -> None:
    """Warn once per process and old name."""
    if old in _warned or _quiet[0]:
        return
    _warned.add(old)
    warnings.warn(f"efp_tables.efootprint: {old} is {new} in efootprint 27 ({why})", OldNameWarning, stacklevel=4)


# --- values --------------------------------------------------------------------------------------------------

class Source:
    def __init__(self, name: str, link: str | None = None):
        self.name, self.link = name, link

    def __repr__(self) -> str:
        return f"Source({self.name!r}, {self.link!r})"


class Sources:
    """efootprint 9.0.0's named sources (Sources.HYPOTHESIS, Sources.USER_DATA, ...)."""


for _attribute, _source in seed_era()["sources"].items():
    setattr(Sources, _attribute, Source(_source["name"], _source["link"]))


class ExplainableObject:
    """A value with a label and a source, as the seeds write inputs."""

    def __init__(self, value, source: Source | None = None, label: str | None = None):
        self.value, self.source, self.label = value, source, label

    def set_label(self, label: str):
        self.label = label
        return self

    def __repr__(self) -> str:
        return str(self.value)

    def __eq__(self, other) -> bool:
        return self.value == getattr(other, "value", other)

    __hash__ = None


class SourceValue(ExplainableObject):
    """A quantity of the seeds' unit registry `u` (or of efp_tables'), with its source."""


class SourceObject(ExplainableObject):
    """A text input (a resolution, a server type...), with its source."""


class EmptyExplainableObject:
    """efootprint's "no value": as an input, an absent value; as a result, an attribute without value (which
    still plots a simulation's values when a simulation holds some)."""

    def __init__(self, owner=None, attribute: str | None = None):
        self.owner, self.attribute = owner, attribute

    def __repr__(self) -> str:
        return "no value"

    def __eq__(self, other) -> bool:
        return isinstance(other, EmptyExplainableObject) or other is None

    __hash__ = None

    def plot(self, figsize=None, filepath=None, plt_show=False, xlims=None, cumsum=False):
        simulated = _simulated_series(self.owner, self.attribute) if self.owner is not None else None
        if simulated is None:
            raise ModelError(getattr(self.owner, "label", "value"), self.attribute, "no value",
                             "a value to plot (this attribute has none, in the baseline or a simulation)")
        _plot_series([("simulated", simulated.frame)], _title(self.owner, self.attribute), simulated.unit,
                     filepath, xlims, cumsum)


def _unwrap(value):
    if isinstance(value, ExplainableObject):
        return value.value
    if isinstance(value, EmptyExplainableObject):
        return None
    return value


_QUANTITY_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? \S")
_SUFFIXED = re.compile(r"(byte|bit)_(stored|ram)\b")


def _seed_quantity(value) -> pint.Quantity | None:
    """A quantity of the seeds' registry from a value of theirs or ours (None when it is no quantity)."""
    value = _unwrap(value)
    if isinstance(value, u.Quantity):
        return value
    if isinstance(value, pint.Quantity):  # efp_tables' registry
        return u.Quantity(value.magnitude, str(value.units))
    if isinstance(value, str) and _QUANTITY_TEXT.match(value):
        return u.Quantity(value)
    return None


def to_input(value, canonical: str, owner: str, attribute: str):
    """A quantity of the seeds (u.TB for storage, u.MB for RAM, u.core, a SourceValue) as an efp_tables quantity
    in a unit of efootprint 27's (TB_stored, MB_ram, cpu_core), or `value` itself when it is no quantity."""
    quantity = _seed_quantity(value)
    if quantity is None:
        return _unwrap(value)
    unit = str(quantity.units)
    if re.search(r"\bcore\b", unit):
        old_name_used("u.core", "u.cpu_core", "efootprint 9.0.0")
        unit = re.sub(r"\bcore\b", "cpu_core", unit)
    try:
        quantity.to(canonical)
    except pint.DimensionalityError:
        plain = _SUFFIXED.sub(r"\1", canonical)
        if canonical == "bit" and quantity.dimensionless:  # bits_per_pixel, dimensionless before JSON step 19->20
            return Quantity(float(quantity.to("dimensionless").magnitude), "bit")
        if plain == canonical or quantity.dimensionality != u.Quantity(1, plain).dimensionality:
            raise ModelError(owner, attribute, f"{quantity.magnitude} {quantity.units}",
                             f"a quantity convertible to {canonical}") from None
        kind = "storage" if "_stored" in canonical else "RAM"
        old_name_used(f"plain bytes for {kind}", f"{canonical.split()[-1]} and the like",
                      "JSON steps 12->13, 17->18 and 19->20")
        return Quantity(float(quantity.to(plain).magnitude), canonical)
    try:  # in the unit it was given in, when efp_tables knows it
        ours = Quantity(float(quantity.magnitude), unit)
        ours.to(canonical)
        return ours
    except Exception:
        return Quantity(float(quantity.to(canonical).magnitude), canonical)


# --- hourly series -------------------------------------------------------------------------------------------

def _title(owner, attribute: str) -> str:
    return f"{attribute} of {owner.name}"


class ExplainableHourlyQuantities:
    """An hourly series of the seeds: an input built by the time builders (`series`, an HourlySeries) or a
    calculated attribute of an object (`result`, a ResultSeries). `.plot()` draws it with efp_tables' charts."""

    def __init__(self, series: HourlySeries | None = None, label: str | None = None, *,
                 result: ResultSeries | None = None, owner=None, attribute: str | None = None):
        self.series, self.result, self.label = series, result, label
        self.owner, self.attribute = owner, attribute
        self.old_attribute: str | None = None  # the seeds' name of the attribute, when it had another

    def set_label(self, label: str):
        self.label = label
        return self

    @property
    def frame(self) -> pl.DataFrame:
        """hour (datetime, UTC) and value."""
        if self.result is not None:
            return self.result.frame
        return self.series.to_frame().with_columns(hour=pl.from_epoch(pl.col("hour") * 3600, time_unit="s")
                                                   .cast(pl.Datetime("us")))

    @property
    def unit(self) -> str:
        return self.result.unit if self.result is not None else "dimensionless"

    @property
    def value(self) -> pl.DataFrame:
        return self.frame

    def sum(self) -> SourceValue:
        """The sum over the hours, as efootprint's ExplainableQuantity (`.value` is the pint quantity)."""
        total = self.result.sum() if self.result is not None else Quantity(self.series.sum(), "dimensionless")
        return SourceValue(total, label=f"sum of {self.label}")

    def _combined(self, other, operation):
        if self.series is None or (isinstance(other, ExplainableHourlyQuantities) and other.series is None):
            raise ModelError("hourly series", operation, self.label, "input series (from the time builders)")
        other_series = other.series if isinstance(other, ExplainableHourlyQuantities) else other
        return ExplainableHourlyQuantities(getattr(self.series, operation)(other_series))

    def __add__(self, other):
        return self._combined(other, "__add__")

    def __mul__(self, other):
        return self._combined(other, "__mul__")

    __radd__, __rmul__ = __add__, __mul__

    def __len__(self) -> int:
        return self.frame.height

    def __repr__(self) -> str:
        if self.result is not None:
            return repr(self.result)
        return f"{self.label or 'hourly values'}: {live.described(self.series)}"

    def plot(self, figsize=None, filepath=None, plt_show=False, xlims=None, cumsum=False):
        """A line chart (efp_tables.outputs.charts.hourly) to `filepath` (.html or .png); without it, shown in
        Jupyter, or else written to the working folder as '<label>.html'. With a pending simulation
        (ModelingUpdate with simulation_date), its values are drawn beside the baseline's."""
        title = self.label or (_title(self.owner, self.attribute) if self.owner is not None else "hourly values")
        lines = [("baseline" if self.owner is not None else title, self.frame)]
        simulated = _simulated_series(self.owner, self.attribute) if self.owner is not None else None
        if simulated is not None:
            lines.append(("simulated", simulated.frame))
        _plot_series(lines, title, self.unit, filepath, xlims, cumsum)

    def calculus_graph_to_file(self, filename: str | None = None, width=None, height=None, notebook=False):
        """The calculus graph of this calculated attribute (efp_tables.outputs.graphs) as an HTML page."""
        if self.owner is None:
            raise ModelError("hourly series", "calculus graph", self.label, "a calculated attribute of an object")
        owner, attribute = self.owner, self.attribute
        derived = renames.DERIVED.get((owner._api.__name__, self.old_attribute or ""))
        if derived is not None:  # the first linked object's efootprint 27 attribute
            owner, attribute = getattr(owner, derived[0])[0], derived[1].replace("_per_usage_pattern", "")
        system = owner._systems[-1]
        from efp_tables.outputs.explain import explain
        from efp_tables.outputs.graphs import calculus_graph_html
        lineage = explain(system.model(), system.results, owner.id, attribute, system_id=system.id)
        _deliver_html(calculus_graph_html(lineage), filename, f"{attribute} of {owner.name} calculus graph")


def _simulated_series(owner, attribute: str) -> ResultSeries | None:
    """The series of a pending, not shown simulation of the object's System (ModelingUpdate(simulation_date=))."""
    for system in reversed(owner._systems):
        simulation = system.__dict__.get("_seed_simulation")
        if simulation is not None and not simulation.updated:
            value = simulation.values_of(owner).get(attribute)
            return value if isinstance(value, ResultSeries) else None
    return None


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "plot"


def deliver_chart(chart, filepath, name: str) -> None:
    from efp_tables.outputs.charts import save_chart
    if filepath is None and _in_jupyter():
        from IPython.display import display
        display(chart)
        return
    save_chart(chart, filepath if filepath is not None else Path.cwd() / f"{_slug(name)}.html")


def _deliver_html(page: str, filename, name: str) -> None:
    from efp_tables.io.atomic import atomic_path
    if filename is None and _in_jupyter():
        from IPython.display import HTML, display
        display(HTML(page))
        return
    with atomic_path(filename if filename is not None else Path.cwd() / f"{_slug(name)}.html") as temporary:
        temporary.write_text(page)


def _plot_series(lines, title: str, unit: str, filepath, xlims, cumsum: bool) -> None:
    from efp_tables.outputs.charts import hourly
    frames = []
    for name, frame in lines:
        values = pl.col("value").cum_sum() if cumsum else pl.col("value")
        frames.append(frame.select("hour", values.alias("value")).with_columns(
            object_class=pl.lit(""), object_id=pl.lit(name), object_name=pl.lit(name), attribute=pl.lit(title),
            key_id=pl.lit(""), kind=pl.lit("hourly"), unit=pl.lit(f"{unit} (cumulative)" if cumsum else unit)))
    long = pl.concat(frames)
    if xlims is not None:
        start, end = xlims
        long = long.filter(pl.col("hour").is_between(pl.lit(start, pl.Datetime("us")), pl.lit(end, pl.Datetime("us"))))
    if cumsum:
        title = f"Cumulative {title[:1].lower()}{title[1:]}"
        long = long.with_columns(attribute=pl.lit(title))
    chart = hourly(long, [name for name, _ in lines], title)
    suffix = f" {xlims[0]:%Y-%m-%d %H}h to {xlims[1]:%Y-%m-%d %H}h" if xlims is not None else ""
    deliver_chart(chart, filepath, title + suffix)


# --- objects -------------------------------------------------------------------------------------------------

def _resolve(api_class: str, attribute: str, table: dict):
    return table.get((api_class, attribute), table.get(("*", attribute)))


def _seed_value(text):
    """A value of the seed-era data table as the seeds' API gives it."""
    if text is None:
        return EmptyExplainableObject()
    if isinstance(text, dict):  # an object (a server's default storage)
        cls = CLASSES[text["class"]]
        return cls(text["name"], **cls._defaults_translated(text["name"], {k: _seed_value(v) for k, v in
                                                                           text["inputs"].items()}))
    if _QUANTITY_TEXT.match(text):
        return SourceValue(u.Quantity(text))
    return SourceObject(text)


class SeedObject:
    """Mixin before an efp_tables.builders.api class: the seeds' names, units, values and defaults."""
    _api: ClassVar[type]  # the efp_tables.builders.api class
    seed_name: ClassVar[str]  # the class's name in efootprint 9.0.0's data table
    fixed: ClassVar[dict] = {}  # inputs the old class implied (Autoscaling: server_type)

    def __init_subclass__(cls, **kwargs):
        """Each archetype of efootprint 9.0.0's data table is a class method (Storage.ssd(), Device.laptop())."""
        super().__init_subclass__(**kwargs)
        for key in seed_era()["archetypes"].get(cls.__dict__.get("seed_name"), {}):
            def archetype(cls, name: str | None = None, _key=key, **overrides):
                return cls._archetype(_key, name, overrides)
            archetype.__name__ = archetype.__qualname__ = key
            setattr(cls, key, classmethod(archetype))

    def __init__(self, name: str, *args, **kwargs):
        positional = renames.POSITIONAL.get(self._api.__name__) or seed_era()["constructors"].get(self.seed_name, [])
        if len(args) > len(positional):
            raise ModelError(type(self).__name__, "arguments", args, f"at most {len(positional)} positional "
                             f"arguments after the name: {positional}")
        for parameter, value in zip(positional, args):
            if parameter in kwargs:
                raise ModelError(type(self).__name__, parameter, value, "one value (given by position and by name)")
            kwargs[parameter] = value
        if type(self).__name__ in renames.CLASSES:
            new, _, why = renames.CLASSES[type(self).__name__]
            old_name_used(type(self).__name__, new, why)
        super().__init__(name, **self._translated(name, kwargs))

    @classmethod
    def _translated(cls, name: str, inputs: dict) -> dict:
        """The inputs in efootprint 27 names (values still the seeds')."""
        api_class, label = cls._api.__name__, f"{cls.__name__} {name!r}"
        allowed = cls.input_names()
        result = dict(cls.fixed)
        for attribute, value in inputs.items():
            if attribute in allowed:
                target = attribute
            elif (merged := _resolve(api_class, attribute, renames.MERGED)) is not None:
                target, how, why = merged
                old_name_used(f"{api_class}.{attribute}", f"part of {target}", why)
                if how == "per_storage_capacity":
                    capacity = _seed_quantity(inputs.get("storage_capacity"))
                    if capacity is None:
                        raise ModelError(label, attribute, value, "a storage_capacity beside it (8.x footprint per "
                                         "storage unit)")
                    value = SourceValue(_seed_quantity(value) / capacity)
            elif (dropped := _resolve(api_class, attribute, renames.DROPPED)) is not None:
                old_name_used(f"{api_class}.{attribute}", "not used", dropped)
                continue
            elif (renamed := _resolve(api_class, attribute, renames.ATTRIBUTES)) is not None \
                    and renamed[0] in allowed:
                target = renamed[0]
                old_name_used(f"{api_class}.{attribute}", f"{api_class}.{target}", renamed[1])
                if target == "usage_journeys" and not isinstance(value, (list, dict)):
                    value = [value]
            else:
                raise cls._unknown(label, attribute, value)
            if target in result and target not in cls.fixed:
                raise ModelError(label, attribute, value, f"one value for {target} (it is given twice)")
            result[target] = value
        for (class_name, attribute), default in renames.OPTIONAL.items():
            if class_name == api_class and attribute not in result and attribute in allowed:
                result[attribute] = default
        return result

    @classmethod
    def _unknown(cls, label: str, attribute: str, value) -> ModelError:
        replaced = _resolve(cls._api.__name__, attribute, renames.REPLACED)
        if replaced is not None:
            return ModelError(label, attribute, value, f"an efootprint 27 input: {attribute} was replaced by {replaced}")
        return ModelError(label, attribute, value, f"one of the inputs {sorted(cls.input_names())}")

    def _set_input(self, attribute: str, value, *, check_choices: bool = True, record: bool = True) -> None:
        if isinstance(value, (list, tuple)) and not isinstance(value, live.TrackedList):
            value = [_unwrap(v) for v in value]
        elif isinstance(value, ExplainableHourlyQuantities):
            value = value.series
        elif attribute in self.quantities:
            value = to_input(value, self.quantities[attribute], self.label, attribute)
        else:
            value = _unwrap(value)
        super()._set_input(attribute, value, check_choices=check_choices, record=record)
        stored = self.__dict__.get(attribute)
        if isinstance(stored, pint.Quantity):  # remembers where it is, as a ModelingUpdate target
            stored.modeling_obj_container, stored.attr_name_in_mod_obj_container = self, attribute

    def _check_input(self, attribute: str, value) -> None:
        if attribute in self.quantities:
            value = to_input(value, self.quantities[attribute], self.label, attribute)
        super()._check_input(attribute, _unwrap(value))

    def __setattr__(self, attribute: str, value) -> None:
        if not attribute.startswith("_") and attribute not in self.input_names() and attribute not in ("name", "id"):
            target = self._input_name(attribute, value)
            if target == "usage_journeys" and not isinstance(value, (list, dict)):
                value = [value]
            attribute = target
        super().__setattr__(attribute, value)

    def _input_name(self, attribute: str, value) -> str:
        api_class = self._api.__name__
        renamed = _resolve(api_class, attribute, renames.ATTRIBUTES)
        if renamed is not None and renamed[0] in self.input_names():
            old_name_used(f"{api_class}.{attribute}", f"{api_class}.{renamed[0]}", renamed[1])
            return renamed[0]
        raise self._unknown(self.label, attribute, value)

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
        api_class = self._api.__name__
        if attribute.startswith("update_"):
            return self._updater(attribute.removeprefix("update_"))
        renamed = _resolve(api_class, attribute, renames.ATTRIBUTES)
        if renamed is not None and (renamed[0] in self.input_names() or renamed[0] in self.calculated_attribute_names()):
            old_name_used(f"{api_class}.{attribute}", f"{api_class}.{renamed[0]}", renamed[1])
            value = getattr(self, renamed[0])
            if isinstance(value, ExplainableHourlyQuantities):
                value.old_attribute = attribute
            return value
        derived = renames.DERIVED.get((api_class, attribute))
        if derived is not None:
            return self._derived(attribute, *derived)
        replaced = _resolve(api_class, attribute, renames.REPLACED)
        if replaced is not None:
            raise AttributeError(f"{self.label} has no {attribute} in efootprint 27: it was replaced by {replaced}")
        return self._shown(attribute, super().__getattr__(attribute))

    def _shown(self, attribute: str, value):
        if isinstance(value, ResultSeries):
            return ExplainableHourlyQuantities(label=f"{attribute} of {self.name}", result=value, owner=self,
                                               attribute=attribute)
        if value is None:
            return EmptyExplainableObject(self, attribute)
        if isinstance(value, dict):
            return {key: self._shown(attribute, v) for key, v in value.items()}
        return value

    def _derived(self, attribute: str, link: str, per_pattern: str):
        old_name_used(f"{self._api.__name__}.{attribute}", f"the sum of {link}' {per_pattern}[{self.id}]",
                      "efootprint 27 keeps it on the linked objects")
        parts = [getattr(obj, per_pattern) for obj in getattr(self, link)]
        frames = [part[self.id].frame for part in parts if isinstance(part, dict) and self.id in part]
        if not frames:
            return EmptyExplainableObject(self, attribute)
        total = pl.concat(frames).group_by("hour").agg(pl.col("value").sum()).sort("hour")
        unit = next(part[self.id].unit for part in parts if isinstance(part, dict) and self.id in part)
        series = ExplainableHourlyQuantities(label=f"{attribute} of {self.name}", owner=self, attribute=attribute,
                                             result=ResultSeries(f"{self.label}.{attribute}", unit, total))
        series.old_attribute = attribute
        return series

    def _updater(self, attribute: str):
        api_class = self._api.__name__
        renamed = _resolve(api_class, attribute, renames.ATTRIBUTES)
        target = renamed[0] if renamed is not None else attribute
        if target not in self.calculated_attribute_names():
            raise AttributeError(f"{self.label} has no update_{attribute}: its calculated attributes are "
                                 f"{list(self.calculated_attribute_names())}")

        def update() -> None:
            """Compute the calculated attributes (a job alone is computed in a System of its own)."""
            if renamed is not None:
                old_name_used(f"{api_class}.update_{attribute}", f"{api_class}.update_{target}", renamed[1])
            if not self._systems:
                self._computed_alone()
            self.calculated_values()
        update.__name__ = f"update_{attribute}"
        return update

    def _computed_alone(self) -> None:
        raise ModelError(self.label, "calculated attributes", None, "a System that holds this object (its "
                         "calculated attributes depend on the usage)")

    @classmethod
    def calculated_attribute_names(cls) -> tuple[str, ...]:
        return calculated_attribute_names(cls._api.__name__, cls.table.name)

    def row(self) -> dict:
        row = super().row()
        for column in ("server_class", "job_class"):
            if column in row:
                row[column] = self._api.__name__
        return row

    @property
    def label(self) -> str:
        return f"{self._api.__name__} {self.__dict__.get('id') or self.__dict__.get('name', '?')!r}"

    # the seeds' class methods, from efootprint 9.0.0's data table
    @classmethod
    def default_values(cls) -> dict:
        return {k: _seed_value(v) for k, v in seed_era()["defaults"].get(cls.seed_name, {}).items()}

    @classmethod
    def from_defaults(cls, name: str, **overrides):
        return cls(name, **{**cls._defaults_translated(name, cls.default_values()), **cls._translated(name, overrides)})

    @classmethod
    def _defaults_translated(cls, name: str, defaults: dict) -> dict:
        _quiet[0] = True
        try:
            return cls._translated(name, defaults)
        finally:
            _quiet[0] = False

    @classmethod
    def list_values(cls) -> dict:
        values = seed_era()["list_values"].get(cls.seed_name)
        if values is None:
            return super().list_values()
        return {k: [SourceObject(v) for v in vs] for k, vs in values.items()}

    @classmethod
    def archetypes(cls) -> list:
        return [getattr(cls, key) for key in seed_era()["archetypes"].get(cls.seed_name, {})]

    @classmethod
    def _archetype(cls, key: str, name: str | None, overrides: dict):
        described = seed_era()["archetypes"][cls.seed_name][key]
        name = name or described["name"]
        inputs = cls._defaults_translated(name, {k: _seed_value(v) for k, v in described["inputs"].items()})
        return cls(name, **{**inputs, **cls._translated(name, overrides)})


CLASSES: dict[str, type] = {}  # efootprint 9.0.0 class name -> class here, filled by _classes.py
