"""efootprint 27.0.0's live model with inputs changed one by one: the oracle for sweeps."""
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tools"))
import efootprint_dump  # noqa: E402,F401  (switches efootprint to name-based ids before any other import)


class LiveModel:
    def __init__(self, path):
        logging.disable(logging.WARNING)
        from efootprint.api_utils.json_to_system import json_to_system
        classes, self.objects, _ = json_to_system(json.loads(Path(path).read_text()))
        self.system = next(iter(classes["System"].values()))

    def set(self, name: str, value) -> None:
        from efootprint.abstract_modeling_classes.source_objects import SourceValue
        from efootprint.constants.units import u
        object_id, attribute = name.rsplit(".", 1)
        quantity = u.Quantity(value) if isinstance(value, str) else value * u.dimensionless
        current = getattr(self.objects[object_id], attribute)
        setattr(self.objects[object_id], attribute, SourceValue(quantity.to(current.value.units)))

    def link(self, name: str, value) -> None:
        """A structural change: a link to another object (its id), a list of links (ids), or a choice (text)."""
        from efootprint.abstract_modeling_classes.explainable_object_dict import to_weighted_explainable_object_dict
        from efootprint.abstract_modeling_classes.source_objects import SourceObject
        object_id, attribute = name.rsplit(".", 1)
        current = getattr(self.objects[object_id], attribute)
        if isinstance(value, list) and isinstance(current, dict):  # weighted links: a repeated id weighs more
            value = to_weighted_explainable_object_dict([self.objects[item] for item in value])
        elif isinstance(value, list):
            value = [self.objects[item] for item in value]
        else:
            value = self.objects[value] if value in self.objects else SourceObject(value)
        setattr(self.objects[object_id], attribute, value)

    def total_kg(self) -> float:
        return float(self.system.total_footprint.sum().to("kg").magnitude)

    def atoms(self):
        """efootprint's attribution atoms of the system, in the long format of shared/reference/*.attribution.parquet
        (one row per atom and hour; an empty atom has one row, null hour and 0 kg)."""
        import numpy as np
        import polars as pl
        from efootprint.constants.units import u
        from efootprint.core.attribution import atoms
        from efootprint.core.lifecycle_phases import LifeCyclePhases
        frames = []
        for phase in LifeCyclePhases:
            for atom in atoms(self.system, phase):
                source = atom.source
                key = {"source_id": source.id, "source_class": source.efootprint_class.__name__,
                       "stream": atom.stream, "phase": phase.value, "usage_pattern_id": atom.up.id,
                       "journey_id": atom.journey.id,
                       **{f"{cell}_id": getattr(getattr(atom, cell), "id", None)
                          for cell in ("job", "step", "rsn", "ef", "recn", "redn")}}
                if hasattr(atom.value, "start_date"):
                    values = np.asarray(atom.value.value.to(u.kg).magnitude, dtype=np.float64)
                    start = atom.value.start_date.replace(tzinfo=None)
                    hours = pl.datetime_range(start, start + timedelta(hours=len(values) - 1), "1h", eager=True)
                else:
                    values, hours = np.zeros(1), pl.Series([None], dtype=pl.Datetime("us"))
                frames.append(pl.DataFrame({**{k: [v] * len(values) for k, v in key.items()},
                                            "hour": hours.cast(pl.Datetime("us")), "value_kg": values},
                                           schema_overrides={k: pl.String for k in key}))
        return pl.concat(frames)
