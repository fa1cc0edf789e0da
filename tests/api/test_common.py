"""If-Match and If-None-Match parsing: the revision handshake every editor save relies on."""

from __future__ import annotations

import pytest

from ringflow.api.common import etag_matches, parse_if_match
from ringflow.api.errors import ApiError


@pytest.mark.parametrize("value, revision", [("7", 7), ('"7"', 7), ('W/"12"', 12), (" 3 ", 3)])
def test_if_match_accepts_bare_quoted_and_weak(value: str, revision: int) -> None:
    assert parse_if_match(value) == revision


@pytest.mark.parametrize("value, status", [(None, 428), ("", 428), ("abc", 400), ('"-1"', 400), ("1" * 30, 400), ("*", 400)])
def test_if_match_refuses_junk(value: str | None, status: int) -> None:
    with pytest.raises(ApiError) as err:
        parse_if_match(value)
    assert err.value.status == status


def test_etag_matching() -> None:
    assert etag_matches('"5"', "5") and etag_matches('W/"5", "6"', "6") and etag_matches("*", "1")
    assert not etag_matches(None, "5") and not etag_matches('"50"', "5")
