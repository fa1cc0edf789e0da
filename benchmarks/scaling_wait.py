"""WAIT durability side by side: the runtime in this process on a Redis Cluster, first webhooks
(state + history script, index) with RINGFLOW_REDIS_WAIT_REPLICAS 0 and 1. Prints; the figures
are quoted in benchmarks/results/scaling.md.

    .venv/bin/python benchmarks/scaling_wait.py
"""
import asyncio, sys, tempfile, time, uuid, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.topology import Processes, start_cluster
from tests.scaleout.test_cluster_layer import MENU, NOW
from ringflow.redisio import RedisLink
from ringflow.runtime.backends import RedisBackend
from ringflow.runtime.history import RedisHistory
from ringflow.runtime.flows import StaticFlows
from ringflow.runtime.service import Runtime
procs = Processes(Path(tempfile.mkdtemp()))
try:
    cl = start_cluster(procs)
    async def run(wait, n=3000, conc=32):
        link = RedisLink.from_url(cl.url); await link.ready()
        prefix = f"w{uuid.uuid4().hex[:6]}"
        rt = Runtime(StaticFlows({(1, 1): MENU}), RedisBackend(link, prefix=prefix, ttl=60, wait_replicas=wait, wait_ms=100),
                     RedisHistory(link, prefix=prefix, ttl=60), None, None, clock=lambda: NOW, ttl=60)
        lat = []; sem = asyncio.Semaphore(conc)
        async def one(i):
            async with sem:
                t0 = time.perf_counter(); await rt.start_call(1, 1, (f"CA{prefix}{i}", "+1", "+2", "inbound", "AC")); lat.append(time.perf_counter() - t0)
        c0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        cpu = (time.process_time() - c0) / n * 1e6; wall = time.perf_counter() - t0
        lat.sort(); await link.aclose()
        return cpu, n / wall, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
    async def main():
        for _ in range(2):
            for wait in (0, 1):
                cpu, rate, p50, p99 = await run(wait)
                print(f"WAIT {wait}: {cpu:.0f} us CPU/webhook (in-process, Redis part), {rate:.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    asyncio.run(main())
finally:
    procs.stop()
