"""Big parses and bulk passes run without the cyclic collector, and leave it as they found it."""

import gc

import orjson
import pytest

from ringflow.model.gcpause import gc_paused, loads

BIG = orjson.dumps([{"id": f"n{i}", "config": {"text": "hi"}} for i in range(20_000)])


def _collections_during(fn) -> int:
    started = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info)
    gc.callbacks.append(count)
    try:
        fn()
    finally:
        gc.callbacks.remove(count)
    return len(started)


def test_loads_parses_without_collections():
    gc.enable()
    assert _collections_during(lambda: orjson.loads(BIG)) > 0  # the plain parse does collect
    assert _collections_during(lambda: loads(BIG)) == 0
    assert loads(BIG) == orjson.loads(BIG)
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error_and_stays_off_if_it_was():
    with pytest.raises(orjson.JSONDecodeError):
        loads(b"{nope")
    assert gc.isenabled()
    gc.disable()
    try:
        gc_paused(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()
