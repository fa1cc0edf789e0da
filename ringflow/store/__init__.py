"""The flow store: one interface (base.py), SQLite and PostgreSQL behind ``open_store``."""

from ringflow.store.base import (BadCursor, NotFound, PatchError, StaleRevision, Store,  # noqa: F401
                                 StoreError)


def open_store(url: str, migrate_schema: bool = True) -> "Store":
    """Open (and migrate) the database at ``url``: ``sqlite:///file.db`` or ``postgresql://...``."""
    from ringflow.store.sql import open_store as _open

    return _open(url, migrate_schema)
