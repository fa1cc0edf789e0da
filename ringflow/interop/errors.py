"""The one error every converter raises: it names the state (or action) and property at fault."""

from __future__ import annotations

from typing import Any

from ringflow.model.document import DocumentError


class InteropError(ValueError):
    """A foreign document Ringflow cannot convert; ``state`` and ``property`` say where.

    The CLI prints ``str(error)``; the API answers 400 with ``to_dict()`` as details.
    """

    def __init__(self, message: str, state: str | None = None, property: str | None = None, *, noun: str = "state"):
        self.message = message
        self.state = state
        self.property = property
        where = []
        if state is not None:
            where.append(f"{noun} {state!r}")  # "action" for Amazon Connect
        if property is not None:
            where.append(f"property {property!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "property": self.property, "message": self.message}


class ConvertedDocumentError(InteropError, DocumentError):
    """A converted (or Ringflow) document that fails ``normalize``: both an InteropError and a
    DocumentError, so callers that show ``problems`` (CLI table, API 422) keep doing so."""

    def __init__(self, exc: DocumentError):
        DocumentError.__init__(self, exc.problems)
        first = exc.problems[0]
        self.message, self.state, self.property = str(exc), first.node_id, first.field
