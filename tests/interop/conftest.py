"""The provider stand-in (a real HTTP server on 127.0.0.1 speaking Calls and Messages) and an app
pointed at it, shared by the interop suites that run widgets live (a module may define its own)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests import provider_standin
from tests.interop.live import ACCOUNT, TOKEN
from tests.runtime.conftest import make_client


@pytest.fixture(scope="module")
def standin() -> Iterator[Any]:
    server = provider_standin.start({ACCOUNT: TOKEN})
    yield server
    provider_standin.stop(server)


@pytest.fixture(scope="module")
def app(standin: Any) -> Iterator[Any]:
    yield from make_client(provider_api_url=standin.url)


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    return app[0]
