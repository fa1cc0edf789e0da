"""What an answer lists of a flow's problems: every count, but only the first problems.

A flow of 1,000,000 unconnected nodes has 1,000,000 problems; listing them all made a
129 MB answer (and as much in the cache). An answer now carries the first ``LIST_MAX``
problems (errors before warnings, in validation order), the total, and counts per code
and per severity, so the editor's badge still says how many and of which kind.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import orjson

from ringflow.model.document import Problem

LIST_MAX = 200


def summarize(problems: Iterable[Problem | dict[str, Any]], limit: int = LIST_MAX) -> dict[str, Any]:
    """``problems`` (the first ``limit``), ``problems_total``, ``problem_counts`` (by code) and
    ``severity_counts`` (``error``/``warning``): the fields every answer about problems carries."""
    by_code: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for p in problems:
        code, severity = (p["code"], p["severity"]) if isinstance(p, dict) else (p.code, p.severity)
        by_code[code] += 1
        by_severity[severity] += 1
        keep = warnings if severity == "warning" else errors
        if len(keep) < limit:
            keep.append(p if isinstance(p, dict) else p.to_dict())
    listed = (errors + warnings)[:limit]
    return {"problems": listed, "problems_total": sum(by_code.values()), "problem_counts": dict(by_code),
            "severity_counts": {"error": sum(n for s, n in by_severity.items() if s != "warning"),
                                "warning": by_severity.get("warning", 0)}}


def has_error(summary: dict[str, Any]) -> bool:
    return int(summary["severity_counts"]["error"]) > 0


def cost(summary: dict[str, Any]) -> int:
    """Bytes a summary takes as JSON: what the problem cache charges for it."""
    return len(orjson.dumps(summary))
