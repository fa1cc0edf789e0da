"""Documents the store tests share."""

from __future__ import annotations

import copy
from typing import Any

MAIN_LINE: dict[str, Any] = {
    "name": "Main line", "start": "welcome",
    "nodes": [
        {"id": "welcome", "type": "say", "x": 0, "y": 0, "label": "Welcome", "config": {"text": "Thanks for calling Acme."}},
        {"id": "menu", "type": "menu", "x": 0, "y": 160,
         "config": {"prompt": "Press 1 for sales, 2 for support.", "digits": ["1", "2"], "timeout": 5, "retries": 2}},
        {"id": "sales", "type": "transfer", "x": -200, "y": 320, "config": {"to": "+15550100"}},
        {"id": "bye", "type": "hangup", "x": 200, "y": 320},
    ],
    "edges": [
        {"source": "welcome", "outlet": "next", "target": "menu"},
        {"source": "menu", "outlet": "1", "target": "sales"},
        {"source": "menu", "outlet": "2", "target": "bye"},
        {"source": "menu", "outlet": "timeout", "target": "bye"},
    ],
}


def main_line() -> dict[str, Any]:
    return copy.deepcopy(MAIN_LINE)


def strip_keys(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in n.items() if k != "key"} for n in nodes]
