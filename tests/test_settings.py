"""Settings are read in one place (ringflow/config.py) and the README lists every one of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_only_config_reads_the_environment() -> None:
    readers = [str(p.relative_to(ROOT)) for p in (ROOT / "ringflow").rglob("*.py")
               if p.name != "config.py" and re.search(r"os\.environ(?!\[[^]]+\]\s*=)|getenv\(", p.read_text())]
    assert readers == []


def test_the_readme_lists_every_setting_with_a_default_and_a_meaning() -> None:
    read = set(re.findall(r'"(RINGFLOW_[A-Z_]+)"', (ROOT / "ringflow" / "config.py").read_text()))
    rows = {m.group(1): m for m in re.finditer(r"^\| (RINGFLOW_[A-Z_]+) \| ([^|]+) \| ([^|]+) \|$",
                                               (ROOT / "README.md").read_text(), re.M)}
    assert len(read) >= 21
    assert sorted(read - rows.keys()) == []
    assert sorted(rows.keys() - read) == []
    assert all(m.group(2).strip() and m.group(3).strip() for m in rows.values())
