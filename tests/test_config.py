"""Settings come from RINGFLOW_* variables once, and a bad value stops start-up with a clear message."""

from __future__ import annotations

import pytest

from ringflow.config import load_settings


def test_event_stream_lifetime_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGFLOW_STREAM_MAX_SECONDS", raising=False)
    assert load_settings().stream_max_seconds == 300
    monkeypatch.setenv("RINGFLOW_STREAM_MAX_SECONDS", "30")
    assert load_settings().stream_max_seconds == 30


@pytest.mark.parametrize("raw, says", [("0", "at least 1"), ("soon", "whole number")])
def test_a_bad_stream_lifetime_stops_start_up_clearly(monkeypatch: pytest.MonkeyPatch, raw: str, says: str) -> None:
    monkeypatch.setenv("RINGFLOW_STREAM_MAX_SECONDS", raw)
    with pytest.raises(SystemExit, match=says):
        load_settings()


def test_a_bad_performance_mode_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGFLOW_PERFORMANCE_MODE", "turbo")
    with pytest.raises(SystemExit, match="auto, beauty, balanced, high-performance, enterprise"):
        load_settings()
