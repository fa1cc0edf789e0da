"""Loading the hand-written Studio and Connect corpus under tests/data/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parents[1] / "data"


def files(platform: str, bad: bool = False) -> list[Path]:
    folder = DATA / platform / "bad" if bad else DATA / platform
    return sorted(folder.glob("*.json"))


def load(path: Path | str) -> Any:
    return json.loads((DATA / path).read_text() if isinstance(path, str) else path.read_text())
