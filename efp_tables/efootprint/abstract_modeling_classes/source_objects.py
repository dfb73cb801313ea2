"""efootprint.abstract_modeling_classes.source_objects, as the seeds import it."""
from efp_tables.efootprint._layer import Source, Sources, SourceObject, SourceValue  # noqa: F401
