"""One Redis Cluster (3 primaries, 3 replicas) for this package's tests, killed at the end."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.topology import Cluster, Processes, start_cluster


@pytest.fixture(scope="package")
def cluster_procs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("needs redis-server and redis-cli (scripts/setup installs them)")
    procs = Processes(Path(tmp_path_factory.mktemp("cluster")))
    try:
        yield procs
    finally:
        procs.stop()


@pytest.fixture(scope="package")
def cluster(cluster_procs: Processes) -> Cluster:
    return start_cluster(cluster_procs)
