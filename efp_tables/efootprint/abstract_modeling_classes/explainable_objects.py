"""efootprint.abstract_modeling_classes.explainable_objects, as the seeds import it."""
from efp_tables.efootprint._layer import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject  # noqa: F401
from efp_tables.efootprint._layer import SourceValue as ExplainableQuantity  # noqa: F401
