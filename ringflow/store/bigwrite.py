"""The write transaction of a big import, tuned per backend.

On SQLite, two costs of a 500,000-node import are not the import's own work:
- the foreign-key check of every node and edge row against ``flows`` (1.4 million index
  lookups), when the transaction has itself just inserted that flow row for a customer it
  checked: the bulk rows cannot miss their parent, so the check is switched off for this one
  transaction (SQLite only honours the switch outside a transaction: it is set before BEGIN
  and restored after the end, whatever happens);
- the checkpoint that copies the ~200 MB of WAL back into the database file, which SQLite runs
  inside the committing call. The commit is durable once it is in the WAL (WAL mode,
  synchronous=NORMAL), so the writer skips that checkpoint and a background thread runs it on
  its own connection right after; readers and the next writer carry on beside it.
PostgreSQL's COPY path needs neither: it is the plain write transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import Connection

from ringflow.store.engine import Engines, driver

WAL_AUTOCHECKPOINT = 1000  # pages: SQLite's default, which every other write keeps


@contextmanager
def big_write(engines: Engines) -> Iterator[Connection]:
    """A write transaction for a bulk import (the caller inserts the parent flow row in it)."""
    if engines.dialect != "sqlite":
        with engines.write_lock, engines.write.begin() as conn:
            yield conn
        return
    with engines.write_lock, engines.write.connect() as conn:
        raw = driver(conn)
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with conn.begin():
                yield conn
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    checkpoint_in_background(engines.write.url.database)


def _checkpoint(database: str) -> None:
    try:  # mode=rw: a database that went away meanwhile is not created again, empty
        con = sqlite3.connect(f"file:{quote(database)}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error:
        return  # the database went away (a test's temporary file): nothing to copy back
    try:
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # busy or gone: the next commit's automatic checkpoint does it instead
    finally:
        con.close()


_STARTED: list[threading.Thread] = []


def checkpoint_in_background(database: str | None) -> threading.Thread | None:
    """Copy the WAL back into the database file on a thread of its own (PASSIVE: it never
    waits for readers or the writer, and leaves whatever it cannot copy to a later checkpoint)."""
    if not database:
        return None
    thread = threading.Thread(target=_checkpoint, args=(database,), name="ringflow-checkpoint", daemon=True)
    thread.start()
    _STARTED[:] = [t for t in _STARTED if t.is_alive()] + [thread]
    return thread


def finish_checkpoints(timeout: float = 60.0) -> None:
    """Wait for the checkpoints started here: a command about to end its process (``ringflow
    import``) leaves the database file whole, not a 200 MB WAL for the next writer to copy."""
    for thread in list(_STARTED):
        thread.join(timeout)
