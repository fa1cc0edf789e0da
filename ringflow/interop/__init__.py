"""Interop with other call-flow platforms: Twilio Studio (import and export) and Amazon Connect (import).

The stable interface the CLI and the API use::

    detect_format(obj) -> "ringflow" | "studio" | "connect"
    to_ringflow(obj, fmt=None) -> FlowDocument      # raises InteropError(message, state=, property=)
    to_studio(doc) -> dict                           # a Studio flow definition
"""

from __future__ import annotations

from typing import Any

from ringflow.interop.detect import FORMATS, detect_format
from ringflow.interop.errors import ConvertedDocumentError, InteropError
from ringflow.model.document import DocumentError, FlowDocument, normalize

__all__ = ["FORMATS", "InteropError", "detect_format", "to_ringflow", "to_studio"]


def to_ringflow(obj: Any, fmt: str | None = None) -> FlowDocument:
    """Convert a parsed document of format ``fmt`` (detected when None) to a normalized Ringflow document."""
    fmt = fmt or (detect_format(obj) if isinstance(obj, dict) else "ringflow")  # normalize explains non-objects
    if fmt not in FORMATS:
        raise InteropError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        if fmt == "studio":
            from ringflow.interop.studio_import import studio_to_ringflow

            return studio_to_ringflow(obj)
        if fmt == "connect":
            from ringflow.interop.connect_import import connect_to_ringflow

            return connect_to_ringflow(obj)
        return normalize(obj)
    except ConvertedDocumentError:
        raise
    except DocumentError as exc:
        raise ConvertedDocumentError(exc) from exc


def to_studio(doc: FlowDocument) -> dict[str, Any]:
    """A Twilio Studio flow definition for a normalized Ringflow document."""
    from ringflow.interop.studio_export import ringflow_to_studio

    return ringflow_to_studio(doc)
