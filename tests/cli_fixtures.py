"""What the CLI tests share: a fresh SQLite file, a customer in it, and the output made readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringflow.store import open_store


def said(result) -> str:  # type: ignore[no-untyped-def]
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def customer_id(db: str) -> int:
    store = open_store(db)
    try:
        return store.create_customer("CLI customer").id
    finally:
        store.close()
