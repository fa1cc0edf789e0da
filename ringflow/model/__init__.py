"""The flow model: catalogue, document, validation, layout. Pure: no I/O."""

from ringflow.model.catalogue import (
    CATALOGUE,
    TYPE_CODES,
    NodeType,
    default_config,
    outlets_of,
)
from ringflow.model.document import DocumentError, FlowDocument, Problem, normalize
from ringflow.model.validation import has_errors, validate

__all__ = ["CATALOGUE", "TYPE_CODES", "DocumentError", "FlowDocument", "NodeType", "Problem", "default_config",
           "has_errors", "normalize", "outlets_of", "validate"]
