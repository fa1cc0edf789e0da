"""The package's one Redis client layer, on redis-py's asyncio client (hiredis parses replies).

``RINGFLOW_REDIS_URL`` names a standalone server or any node of a Redis Cluster: the first use
asks the server (``INFO cluster``) and then talks through ``redis.asyncio.Redis`` or
``redis.asyncio.cluster.RedisCluster``, which follows MOVED/ASK and refreshes the topology
after a failover. For a cluster, name several nodes (``redis://h1:p1,h2:p2,h3:p3/0``): a
process that starts while the one node it knows is down (a primary killed, its replica since
promoted) could not find the cluster at all, and would answer every webhook with the apology.

Webhooks issue small, independent commands from many coroutines at once. ``send`` queues a
command and every command queued during one event-loop turn leaves in one redis-py pipeline,
which on a cluster is one pipelined write per shard: a busy process pays one round trip per
turn, not one per command. Replies (or the error of each command) come back on futures.

Multi-key scripts must keep their keys on one hash slot (``{tag}`` in every key): the cluster
refuses anything else, and a standalone server is tested with the same keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from typing import Any, Awaitable

import redis.asyncio as aioredis
from hiredis import pack_command
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import parse_url
from redis.exceptions import ClusterDownError, NoScriptError, ReadOnlyError, RedisClusterException, RedisError, ResponseError, TryAgainError
from redis.exceptions import ConnectionError as RConnectionError
from redis.exceptions import TimeoutError as RTimeoutError

log = logging.getLogger("ringflow.redis")

OUTAGE: tuple[type[BaseException], ...] = (RConnectionError, RTimeoutError, ClusterDownError, TryAgainError, ReadOnlyError,
                                           RedisClusterException, OSError, asyncio.TimeoutError)
"""What an unreachable server, a dropped connection or a failover in progress raises (or answers:
CLUSTERDOWN, TRYAGAIN, READONLY from a primary just demoted)."""

FAILURES: tuple[type[BaseException], ...] = (RedisError, *OUTAGE)
"""An outage or any error the server answered: what a best-effort caller catches."""

CLIENT_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
RETRY_SECONDS = 3.0
"""How long a command that met an outage is retried once the server had answered before: a
cluster failover (a replica promoted) takes ~2-3 s with ``cluster-node-timeout 1000``, and a
webhook that waits that long is still answered in time (providers wait ~15 s)."""


_URL = re.compile(r"^(?P<scheme>[a-z]+://)(?P<auth>[^@/?#]*@)?(?P<hosts>[^/?#]*)(?P<tail>.*)\Z", re.S)


def seed_urls(url: str) -> list[str]:
    """One URL per node named in ``url`` (``redis://[auth@]h1:p1,h2:p2/0?opts``), each with the
    same scheme, credentials, database and options; a one-node URL comes back as it is."""
    m = _URL.match(url)
    if m is None or "," not in m["hosts"]:
        return [url]
    hosts = [h.strip() for h in m["hosts"].split(",") if h.strip()]
    return [f"{m['scheme']}{m['auth'] or ''}{h}{m['tail']}" for h in hosts] or [url]


def _node(url: str) -> ClusterNode:
    parts = parse_url(url)
    return ClusterNode(parts.get("host", "localhost"), int(parts.get("port", 6379)))


def _where(url: str) -> str:
    """A URL without its credentials, for logs."""
    return url.rsplit("@", 1)[-1]


async def is_cluster(client: aioredis.Redis) -> bool:
    """``INFO cluster`` says ``cluster_enabled:1`` on a node of a Redis Cluster."""
    info = await client.info("cluster")
    return bool(int(info.get("cluster_enabled", 0)))


def as_dict(reply: Any) -> dict[Any, Any]:
    """A hash reply: redis-py's callbacks give a dict, a raw reply is a flat list."""
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))


class RedisLink:
    """A redis-py client plus the per-loop-turn batching of the hot path.

    Built from a URL (the kind is found on first use) or around an existing redis-py client
    (tests, tools). ``client`` is for the rare commands that want redis-py's API directly;
    ``send``/``call``/``evalsha`` batch.
    """

    def __init__(self, client: Any = None, url: str | None = None, **options: Any):
        if client is None and url is None:
            raise ValueError("a RedisLink needs a client or a URL")
        self.url, self.options = url, {**CLIENT_OPTIONS, **options}
        self._client: Any = client
        self.cluster: bool | None = isinstance(client, RedisCluster) if client is not None else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._routes: dict[int, str] = {}  # id(future) -> key whose node a keyless command must go to (WAIT)
        self._armed = False
        self._ready: asyncio.Future[Any] | None = None
        self._scripts: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.retry_seconds = RETRY_SECONDS
        self._answered = False  # the server answered once: later outages are worth retrying through

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "RedisLink":
        return cls(url=url, **options)

    @classmethod
    def of(cls, client_or_link: Any) -> "RedisLink":
        """The link itself, or a new link around a redis-py client."""
        return client_or_link if isinstance(client_or_link, RedisLink) else cls(client_or_link)

    # --- the client ----------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The redis-py client (only once ``ready`` has run when built from a URL)."""
        if self._client is None:
            raise RuntimeError("RedisLink.client before ready(): await link.ready() first")
        return self._client

    async def ready(self) -> Any:
        """The redis-py client, made on first use: standalone or cluster, as the server says."""
        if self._client is not None:
            if self.cluster is None:
                self.cluster = isinstance(self._client, RedisCluster)
            return self._client
        loop = asyncio.get_running_loop()
        if self._ready is None or self._ready.get_loop() is not loop:
            self._ready = loop.create_task(self._make())
        try:
            return await asyncio.shield(self._ready)
        except BaseException:
            if self._ready is not None and self._ready.done():
                self._ready = None  # let the next command try again
            raise

    async def _make(self) -> Any:
        """Ask the named nodes in turn until one answers; a cluster client knows them all as seeds."""
        assert self.url is not None
        seeds = seed_urls(self.url)
        failure: BaseException | None = None
        for i, url in enumerate(seeds):
            probe = aioredis.from_url(url, **self.options)
            try:
                cluster = await is_cluster(probe)
            except OUTAGE as exc:
                log.warning("redis node %s does not answer (%s)%s", _where(url), exc, "; trying the next" if i + 1 < len(seeds) else "")
                failure = exc
                continue
            finally:
                await probe.aclose()
            # Redis is there: from now on an outage (a failover under way, whose slot map still names
            # the dead primary) is worth retrying, even before this process's first command got through
            self._answered = True
            break
        else:
            assert failure is not None
            raise failure
        if cluster:
            others = [_node(u) for u in seeds if u != url]
            client: Any = RedisCluster.from_url(url, startup_nodes=others or None, **self.options)
            await client.initialize()
        else:
            client = aioredis.from_url(url, health_check_interval=5, **self.options)
        self._client, self.cluster = client, cluster
        log.info("redis at %s: %s", _where(url), "cluster" if cluster else "standalone")
        return client

    # --- batched commands ------------------------------------------------------------------------

    def send(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command; the future gets its reply or its error (an exception instance,
        never raised into the loop). Never blocks; sent with the rest of this loop turn."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or the app moved to a new loop (tests): start afresh
            self._loop, self._queue, self._armed, self._routes = loop, [], False, {}
            if self.url is not None and self._client is not None:
                self._client = None  # a URL-made client's connections belong to the old loop: make it again
        fut: asyncio.Future[Any] = loop.create_future()
        self._queue.append((args, fut))
        if not self._armed:
            self._armed = True
            loop.call_soon(self._flush)
        return fut

    def wait_nowait(self, after_key: str, replicas: int, timeout_ms: int) -> asyncio.Future[Any]:
        """WAIT on the connection that just wrote ``after_key`` (its shard's primary): the reply is
        how many replicas have every write sent before it."""
        fut = self.send("WAIT", replicas, timeout_ms)
        self._routes[id(fut)] = after_key
        return fut

    async def call(self, *args: Any) -> Any:
        result = await self.send(*args)
        if isinstance(result, Exception):
            raise result
        return result

    def script(self, source: str) -> str:
        """Register a script; its SHA1 is what ``evalsha`` takes."""
        sha = hashlib.sha1(source.encode()).hexdigest()
        self._scripts[sha] = source.encode()
        return sha

    def evalsha_nowait(self, sha: str, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        return self.send("EVALSHA", sha, len(keys), *keys, *args)

    def evalsha(self, sha: str, keys: list[str], args: list[Any]) -> Awaitable[Any]:
        """EVALSHA, queued now (so what is queued next follows it); the awaitable gives its result,
        sending the source once if this server has not seen the script (a restart, a replica just
        promoted, a shard the script has not run on yet)."""
        return self._script_result(self.send("EVALSHA", sha, len(keys), *keys, *args), sha, keys, args)

    async def _script_result(self, first: asyncio.Future[Any], sha: str, keys: list[str], args: list[Any]) -> Any:
        result = await first
        if isinstance(result, NoScriptError):
            result = await self.send("EVAL", self._scripts[sha], len(keys), *keys, *args)  # caches it server side too
        if isinstance(result, Exception):
            raise result
        return result

    def _flush(self) -> None:
        self._armed = False
        batch, self._queue = self._queue, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_seconds
        pause = 0.05
        try:
            while True:
                replies = await self._once([args for args, _ in batch], [self._routes.pop(id(f), None) for _, f in batch])
                again = []
                for item, reply in zip(batch, replies):
                    if isinstance(reply, OUTAGE) and self._answered and loop.time() < deadline:
                        again.append(item)
                    elif not item[1].done():
                        item[1].set_result(reply)
                if not again:
                    return
                log.info("redis: %d command(s) met an outage (%s); retrying", len(again), next(r for r in replies if isinstance(r, OUTAGE)))
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.5)
                batch = again
        except asyncio.CancelledError:
            for _, fut in batch:
                if not fut.done():
                    fut.cancel()
            raise

    async def _once(self, commands: list[tuple[Any, ...]], routes: list[str | None]) -> list[Any]:
        """One pipeline (per shard) with the commands; a reply or an exception for each."""
        try:
            client = await self.ready()
            if not self.cluster:
                return await self._on_connection(client, commands)
            pipe = client.pipeline(transaction=False)
            for args, route in zip(commands, routes):
                if route is None:
                    pipe.execute_command(*args)
                else:
                    pipe.execute_command(*args, target_nodes=client.get_node_from_key(route))
            replies = await pipe.execute(raise_on_error=False)
        except OUTAGE as exc:  # the whole batch failed: every caller hears it
            err = exc if isinstance(exc, RedisError) else RConnectionError(f"Redis unreachable: {exc!r}")
            return [err] * len(commands)
        except RedisError as exc:
            return [exc] * len(commands)
        self._answered = True
        return list(replies)

    async def _on_connection(self, client: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Standalone: the batch on one pooled connection of redis-py, written at once and read in
        order, without the Pipeline object's per-command bookkeeping (~6 µs a command less)."""
        pool = client.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(b"".join([pack_command(args) for args in commands]), check_health=False)
            replies: list[Any] = []
            async with asyncio.timeout(self.options["socket_timeout"]):  # one deadline for the batch, not one per reply
                for _ in commands:
                    try:
                        replies.append(await conn.read_response(timeout=math.inf))
                    except ResponseError as exc:  # an error reply: the connection is still in step
                        replies.append(exc)
        finally:
            await pool.release(conn)  # a connection that failed mid-way was disconnected by redis-py
        self._answered = True
        return replies

    # --- the few commands that are not per key ---------------------------------------------------

    async def count_keys(self, match: str) -> int:
        """How many keys match (SCAN, on every primary of a cluster)."""
        client = await self.ready()
        n = 0
        if self.cluster:
            for node in client.get_primaries():
                async for _ in client.scan_iter(match=match, count=1000, target_nodes=node):
                    n += 1
            return n
        async for _ in client.scan_iter(match=match, count=1000):
            n += 1
        return n

    async def aclose(self) -> None:
        """Let batches in flight finish (at most RETRY_SECONDS), then close the connections."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.retry_seconds)
        if self._client is not None:
            await self._client.aclose()
            if self.url is not None:
                self._client = None  # made from a URL: made again if the link is used after this
