"""``ringflow simulate``: synthetic callers against a flow, in-process or over HTTP.

The project CLI (ringflow/cli.py) registers ``simulate_command``; its options and report live
here, beside the simulator. The simulator, the engine and their clients (httpx, redis) are
imported when the command runs, not when the CLI starts: every other command (``ringflow
validate`` above all) would otherwise pay 0.2 s to load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from ringflow.runtime.flows import FlowSource
    from ringflow.runtime.simulate import SimResult


def simulate_command(
    flow_id: str = typer.Argument(..., help="Flow id, or 'demo' for a generated demo flow (in-process only)."),
    customer: int = typer.Option(0, "--customer", help="Customer id that owns the flow (in-process runs read the store)."),
    calls: int = typer.Option(100, "--calls", min=1, max=10_000_000, help="How many calls to place."),
    concurrency: int = typer.Option(10, "--concurrency", min=1, max=10_000, help="Calls in flight at once."),
    seed: int = typer.Option(0, "--seed", help="Seed for the callers' choices (same seed, same run)."),
    via: str = typer.Option("inproc", "--via", help="'inproc' (the engine in this process) or 'http' (signed webhooks)."),
    url: Optional[str] = typer.Option(None, "--url", help="Base URL of a running server, for --via http."),
    auth_token: Optional[str] = typer.Option(None, "--auth-token", help="Provider auth token to sign webhooks with."),
    demo_nodes: int = typer.Option(20, "--demo-nodes", help="Size of the generated flow when FLOW_ID is 'demo'."),
    at: Optional[str] = typer.Option(None, "--at", help=("Pretend it is this ISO time (business hours), e.g. "
                                                         "2026-11-30T10:00:00+00:00; without an offset, UTC.")),
) -> None:
    """Place synthetic calls and print throughput, latency percentiles, outcomes and node visits."""
    import asyncio

    from ringflow.runtime.simulate import simulate

    console = Console()
    if via not in ("inproc", "http"):
        console.print("[red]--via must be 'inproc' or 'http'[/red]")
        raise typer.Exit(2)
    clock = None
    if at is not None:
        try:
            fixed = parse_instant(at)
        except ValueError:
            console.print(f"[red]--at must be an ISO date-time, not {at!r}[/red]")
            raise typer.Exit(2) from None
        clock = lambda: fixed  # noqa: E731
    flows: FlowSource | None = None
    store = None
    if via == "http":
        if not url or not flow_id.isdigit():
            console.print("[red]--via http needs --url and a numeric FLOW_ID[/red]")
            raise typer.Exit(2)
        fid, cid = int(flow_id), customer
    elif flow_id == "demo":
        from ringflow.model.demo import generate_flow
        from ringflow.runtime.flows import StaticFlows

        fid, cid = 1, customer or 1
        flows = StaticFlows({(cid, fid): generate_flow(demo_nodes)})
    else:
        if not flow_id.isdigit() or customer <= 0:
            console.print("[red]give a numeric FLOW_ID and --customer (or FLOW_ID 'demo')[/red]")
            raise typer.Exit(2)
        from ringflow.config import load_settings
        from ringflow.runtime.flows import StoreFlows
        from ringflow.store import open_store

        store = open_store(load_settings().database_url)
        flows = StoreFlows(store)
        fid, cid = int(flow_id), customer
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("calls", total=calls)
        result = asyncio.run(simulate(flows, cid, fid, calls, concurrency, seed, via, url, auth_token,
                                      progress=lambda k: bar.advance(task, k), clock=clock))
    if store is not None:
        store.close()
    print_report(console, result)
    if result.outcomes.get("flow_not_published") == calls:
        console.print(f"[red]flow {flow_id} of customer {customer} is not published (or does not exist)[/red]")
        raise typer.Exit(1)


def print_report(console: Console, r: SimResult) -> None:
    summary = Table(title="Simulation", show_header=False)
    summary.add_row("calls", f"{r.calls:,}")
    summary.add_row("webhooks", f"{r.webhooks:,}")
    summary.add_row("seconds", f"{r.seconds:.2f}")
    summary.add_row("calls/s", f"{r.calls / r.seconds:,.0f}" if r.seconds else "-")
    summary.add_row("webhooks/s", f"{r.webhooks / r.seconds:,.0f}" if r.seconds else "-")
    for p in (50, 90, 99):
        summary.add_row(f"latency p{p}", f"{r.percentile(p) * 1000:.2f} ms")
    summary.add_row("stale answers", f"{r.stale:,}")
    summary.add_row("webhooks sent again", f"{r.resent:,}")
    console.print(summary)
    outcomes = Table(title="Outcomes")
    outcomes.add_column("outcome")
    outcomes.add_column("calls", justify="right")
    for name, n in r.outcomes.most_common():
        outcomes.add_row(name, f"{n:,}")
    console.print(outcomes)
    if r.visits:
        visits = Table(title="Node visits (top 30)")
        visits.add_column("node")
        visits.add_column("visits", justify="right")
        for name, n in r.visits.most_common(30):
            visits.add_row(name, f"{n:,}")
        console.print(visits)
    else:
        console.print("(node visits are counted in-process only; over HTTP see GET /api/v1/calls/{sid})")


def parse_instant(text: str) -> float:
    """An ISO date-time as epoch seconds; without an offset it is UTC, never the machine's zone,
    so the same command means the same instant on every machine. ValueError when it is not one."""
    from datetime import datetime, timezone

    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.timestamp()

