"""efootprint.api_utils.system_to_json: the System as efootprint 27 JSON (inputs only), by efp_tables' writer."""
from __future__ import annotations

from efp_tables.io.efootprint_json_writer import model_document, write_model


def system_to_json(input_system, save_calculated_attributes: bool = False, output_filepath=None) -> dict:
    """The efootprint 27 JSON document of `input_system`'s current inputs, written (atomically) to
    `output_filepath` when given. Calculated attributes are never saved: efootprint 27 recomputes them."""
    model = input_system.model()
    if output_filepath is not None:
        write_model(model, output_filepath)
    return model_document(model)
