"""Real processes for the scale-out tests: a Redis Cluster, Ringflow workers, haproxy.

Everything listens on free loopback ports, lives in a temporary directory and is killed by
``Processes.stop`` (a fixture's teardown calls it even when the test failed). Built from the
Debian packages ``redis-server``/``redis-tools`` and ``haproxy`` (scripts/setup installs them).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

NODE_TIMEOUT_MS = 1000  # how long a silent primary takes to be declared failed (then its replica is promoted)
ROOT = Path(__file__).resolve().parents[1]


def free_port(pair: bool = False) -> int:
    """A free loopback port; with ``pair``, port + 10000 (the cluster bus) is free as well."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not pair:
            return port
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def wait_until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError, subprocess.SubprocessError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout} s")


@dataclass
class Processes:
    """Every process a test started, so one call stops them all."""

    workdir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one process and its children (a worker's own workers) by its process group."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def real_clock_env() -> dict[str, str]:
    """The environment without libfaketime: redis-server hangs under it (recursive clock_gettime),
    and CI runs the suite under `faketime`. Redis keeps the real clock; Ringflow takes the fake one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.get("LD_PRELOAD", "").split(":") if p and "faketime" not in p]
    env["LD_PRELOAD"] = ":".join(preload)
    if not preload:
        del env["LD_PRELOAD"]
    return env


def redis_cli(port: int, *args: str, timeout: float = 5.0) -> str:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=real_clock_env()).stdout


@dataclass
class Cluster:
    ports: list[int]

    @property
    def url(self) -> str:
        """Every node as a seed, as docs/scaling.md tells operators: a worker started after the
        first one died must still find the cluster."""
        return "redis://" + ",".join(f"127.0.0.1:{p}" for p in self.ports) + "/0"

    def primaries(self) -> list[int]:
        """Ports of the nodes that are primaries now (as any live node sees the cluster)."""
        for port in self.ports:
            out = redis_cli(port, "cluster", "nodes")
            if out:
                return sorted(int(line.split()[1].split(":")[1].split("@")[0]) for line in out.splitlines()
                              if "master" in line.split()[2] and "fail" not in line.split()[2])
        return []

    def healthy(self, ports: list[int] | None = None) -> bool:
        return all("cluster_state:ok" in redis_cli(p, "cluster", "info") for p in (ports or self.ports))


def start_cluster(procs: Processes, primaries: int = 3, replicas: int = 1) -> Cluster:
    ports = [free_port(pair=True) for _ in range(primaries * (1 + replicas))]
    for port in ports:
        procs.start(f"redis-{port}", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                                      "--cluster-config-file", f"nodes-{port}.conf", "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                                      "--save", "", "--appendonly", "no", "--dir", str(procs.workdir), "--protected-mode", "no"],
                    env=real_clock_env())
    for port in ports:
        wait_until(lambda p=port: redis_cli(p, "ping").strip() == "PONG", 10, f"redis {port}")
    subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", str(replicas),
                    "--cluster-yes"], capture_output=True, check=True, timeout=60, env=real_clock_env())
    cluster = Cluster(ports)
    wait_until(cluster.healthy, 30, "cluster state ok")
    # replicas must have synced before a failover test can expect a promotion
    wait_until(lambda: all("master_link_status:up" in redis_cli(p, "info", "replication") for p in ports
                           if "role:slave" in redis_cli(p, "info", "replication")), 30, "replicas in sync")
    return cluster


def ringflow_env(database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGFLOW_")}
    env.update({"RINGFLOW_DATABASE_URL": database_url, "RINGFLOW_REDIS_URL": redis_url, "RINGFLOW_REDIS_PREFIX": prefix,
                "RINGFLOW_ADMIN_TOKEN": "topology-admin-token", "RINGFLOW_SECRET_KEY": "topology-secret-key-0123456789abcdef",
                "RINGFLOW_ALLOW_PRIVATE_HTTP": "1", "PYTHONUNBUFFERED": "1"})
    return env


def start_worker(procs: Processes, name: str, port: int, env: dict[str, str], workers: int = 1) -> None:
    args = [sys.executable, "-m", "ringflow.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    procs.start(name, args, env=env)


def wait_healthy(port: int, timeout: float = 30) -> None:
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, timeout, f"worker {port}")


def haproxy_config(port: int, workers: list[int], stats_socket: Path) -> str:
    """Round robin per request over keep-alive connections; a request that meets a refused connection
    or a worker that died before answering is retried on another (webhooks are idempotent: a
    retried step is answered from the stored state); a worker failing its health check leaves the
    rotation within ~0.4 s."""
    servers = "\n".join(f"    server w{i} 127.0.0.1:{p} check inter 200 fall 2 rise 1" for i, p in enumerate(workers))
    return f"""global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin
defaults
    mode http
    timeout connect 500ms
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend fe
    bind 127.0.0.1:{port}
    default_backend workers
backend workers
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


def start_haproxy(procs: Processes, workers: list[int]) -> int:
    port = free_port()
    cfg = procs.workdir / "haproxy.cfg"
    cfg.write_text(haproxy_config(port, workers, procs.workdir / "haproxy.sock"))
    procs.start("haproxy", ["haproxy", "-db", "-f", str(cfg)])
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 15, "haproxy")
    return port
