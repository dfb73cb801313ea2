"""The e-footprint seeds' import path: `from efootprint.X import Y` becomes `from efp_tables.efootprint.X import Y`.

The modules mirror those the seeds' scripts import (efootprint 8.x to 9.0.0), from
`abstract_modeling_classes.source_objects` to `utils.object_relationships_graphs`, plus
`api_utils.system_to_json`. Their classes are efp_tables' own (efp_tables.builders.api) under the old names,
with the old attribute names and units, efootprint 9.0.0's defaults, archetypes and countries
(data/efootprint_9_0_0.json), and efootprint 27's semantics (renames.py maps each old name, after the JSON upgrade
chain). The first use of each old name warns (OldNameWarning) with its efootprint 27 equivalent.
"""
from efp_tables.efootprint._layer import OldNameWarning  # noqa: F401
