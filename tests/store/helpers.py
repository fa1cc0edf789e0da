"""Documents the store tests share."""

from __future__ import annotations

from typing import Any

from ringflow.model.demo import main_line  # noqa: F401  (the issue's example flow)


def strip_keys(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in n.items() if k != "key"} for n in nodes]
