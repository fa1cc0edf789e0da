"""The flow store: one interface (base.py), SQLite and PostgreSQL behind ``open_store``."""

from typing import TYPE_CHECKING

from ringflow.store.base import BadCursor, NotFound, PatchError, StaleRevision, Store, StoreError  # noqa: F401

if TYPE_CHECKING:
    from ringflow.clock import Clock


def open_store(url: str, migrate_schema: bool = True, clock: "Clock | None" = None) -> "Store":
    """Open (and migrate) the database at ``url``: ``sqlite:///file.db`` or ``postgresql://...``.

    ``clock`` stamps created/updated/revoked times (the system clock when not given)."""
    from ringflow.clock import system_clock
    from ringflow.store.sql import open_store as _open

    return _open(url, migrate_schema, clock or system_clock)
