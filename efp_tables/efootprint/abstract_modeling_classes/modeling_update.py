"""efootprint.abstract_modeling_classes.modeling_update, as the seeds import it."""
from efp_tables.efootprint._classes import ModelingUpdate  # noqa: F401
