import json
from pathlib import Path

import jsonschema

from ringflow.model.schema import flow_schema
from tests.model.test_document import EXAMPLE

SHIPPED = Path(__file__).parents[2] / "ringflow" / "model" / "flow.schema.json"


def test_example_matches_generated_schema():
    jsonschema.Draft202012Validator(flow_schema()).validate(EXAMPLE)


def test_schema_rejects_a_bad_config_type():
    bad = json.loads(json.dumps(EXAMPLE))
    bad["nodes"][1]["config"]["timeout"] = "soon"
    errors = list(jsonschema.Draft202012Validator(flow_schema()).iter_errors(bad))
    assert errors


def test_shipped_schema_is_the_generated_one():
    """The shipped copy is generated (``ringflow schema -o ...``), never edited by hand."""
    assert json.loads(SHIPPED.read_text()) == flow_schema(), "regenerate: python -m ringflow.model.schema > ringflow/model/flow.schema.json"
