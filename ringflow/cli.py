"""The ``ringflow`` command: serve, db upgrade, demo, import, export, validate (and simulate).

Every command reports bad input as one readable message (naming node and field) with a
non-zero exit, never a traceback; imports land whole or not at all (one transaction).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, cast

import msgspec
import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ringflow.model.document import DocumentError, FlowDocument, Problem, decode_unlinked, normalize, to_document
from ringflow.model.gcpause import loads
from ringflow.model.validation import check_json, has_errors, validate, validate_shape
from ringflow.store.base import Store, StoreError

app = typer.Typer(help="Ringflow: voice call flows (editor, store, runtime).", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)
DB_HELP = "Database URL (sqlite:///file.db or postgresql://...); default $RINGFLOW_DATABASE_URL or sqlite:///ringflow.db."
FORMATS = ("auto", "ringflow", "studio", "connect")
MAX_FILE_BYTES = 256 * 1024 * 1024
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn
GRACEFUL_SECONDS = 5  # on SIGTERM: in-flight webhooks finish, open event streams are cut and resume on another worker


class CliError(Exception):
    """A message for the person at the terminal; the command exits 1."""


_TEARDOWN = {"skip": False}
"""Set by ``main`` (a real process, not Typer's test runner): see ``_finish``."""


def _finish(code: int = 0) -> None:
    """End a command that holds a big decoded document. In a real process the output is
    flushed and the process ends here, the document still alive: freeing its ten million
    objects one by one cost 0.2-0.5 s of a 500,000-node ``ringflow validate`` or ``import``,
    work the operating system does at once when the process ends (mypy exits the same way).
    Under Typer's test runner (``main`` not called) it is an ordinary return or ``typer.Exit``."""
    if _TEARDOWN["skip"]:
        logging.shutdown()  # what atexit would have done: every log handler flushed and closed
        for stream in (out.file, err.file, sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)
    if code:
        raise typer.Exit(code)


def _db(url: Optional[str]) -> str:
    from ringflow.config import load_settings

    return url or load_settings().database_url


@contextmanager
def _friendly(writes: bool = True) -> Iterator[None]:
    """Turn every expected failure into one red line and exit 1; a command that ``writes`` says
    that nothing was written (``validate`` writes nothing and does not say so)."""
    nothing = "; nothing was written" if writes else ""
    try:
        yield
    except CliError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except DocumentError as exc:
        _print_problems(exc.problems)
        err.print(f"[red]error:[/red] {escape(str(exc))}{nothing}")
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except ValueError as exc:  # InteropError and friends
        err.print(f"[red]error:[/red] {escape(str(exc))}{nothing}")
        raise typer.Exit(1) from None


@contextmanager
def _collections_skip_what_exists() -> Iterator[None]:
    """Collections in this block leave the objects alive at its start alone (``gc.freeze``): an
    import holds a 500,000-node document to its end, and the collections that SQLAlchemy's import
    and the store's rows set off walked it again and again (2 s of a 13 s import). Only new
    objects are looked at; afterwards (under Typer's test runner) everything is tracked again."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _open(url: Optional[str]) -> Store:
    from ringflow.store import open_store

    return open_store(_db(url))


def _share_editor_data(store: Any, flows: list[tuple[int, int]]) -> None:
    """With RINGFLOW_REDIS_URL set, the new flows' skeleton and problems go to Redis now, so no
    worker builds them on the first open (ringflow/api/revision_data.py)."""
    from ringflow.config import load_settings, redis_prefix

    url = load_settings().redis_url
    if url and flows:
        from ringflow.api.revision_data import share_written

        with err.status("Storing the editor data (skeleton, problems) in Redis..."):
            share_written(url, redis_prefix(), store, flows)


def _print_problems(problems: list[Problem], limit: int = 50) -> None:
    table = Table(show_header=True, header_style="bold")
    for col in ("severity", "node", "field", "problem"):
        table.add_column(col)
    for p in problems[:limit]:
        colour = "red" if p.severity == "error" else "yellow"
        table.add_row(f"[{colour}]{p.severity}[/{colour}]", escape(p.node_id or "-"), escape(p.field or "-"), escape(p.message))
    err.print(table)
    if len(problems) > limit:
        err.print(f"... and {len(problems) - limit} more")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CliError(f"{path}: {path.stat().st_size} bytes is over the limit of {MAX_FILE_BYTES}")
    return path.read_bytes()


def _read_json(path: Path) -> Any:
    try:
        return loads(_read_bytes(path))
    except orjson.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON: {exc}") from None


def _checked(path: Path) -> tuple[Any, list[Problem]]:
    """A Ringflow document file decoded and validated in one msgspec pass (no dicts built)."""
    data = _read_bytes(path)
    try:
        return check_json(data)
    except msgspec.DecodeError as exc:
        if not isinstance(exc, msgspec.ValidationError):
            raise CliError(f"{path} is not valid JSON: {exc}") from None
        raise


def _to_document(raw: Any, fmt: str) -> FlowDocument:
    """A normalized Ringflow document from any supported format."""
    if fmt not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "ringflow":
        return normalize(raw)
    try:
        from ringflow import interop
        convert = interop.to_ringflow
    except (ImportError, AttributeError):
        if fmt == "auto":
            return normalize(raw)
        raise CliError(f"the {fmt} format is not available yet in this build") from None
    return convert(raw, None if fmt == "auto" else fmt)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


@app.command()
def serve(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
          host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
          workers: int = typer.Option(1, "--workers", min=1, max=256,
                                      help="Server processes; more than 1 needs PostgreSQL and RINGFLOW_REDIS_URL.")) -> None:
    """Migrate the database, seed the demo on first start, and serve the API and editor."""
    import os

    from ringflow.api.app import create_app
    from ringflow.api.serve import FACTORY, multi_process_problem
    from ringflow.config import load_settings
    from ringflow.store.seed import ensure_demo

    with _friendly():
        settings = load_settings()
        settings = dataclasses.replace(settings, database_url=db or settings.database_url)
        problem = multi_process_problem(settings, workers)
        if problem:
            raise CliError(problem)
        with err.status("Opening the database and loading the demo..."):
            store = _open(settings.database_url)
            customer, key = ensure_demo(store)
        if key and customer:
            out.print(f"[green]Demo customer[/green] {escape(customer.name)} (id {customer.id}). Its API key, shown only this once:")
            out.print(f"  [bold]{key}[/bold]")
    import uvicorn

    out.print(f"Serving {escape(settings.database_url)} on http://{host}:{port}/" + (f" with {workers} processes" if workers > 1 else ""))
    # A deep accept queue: after a restart every open editor reconnects its event stream at once.
    from ringflow.api.httpserver import server_options

    # header size and header-read limits as production servers set them (431 / 408)
    limits = server_options(settings)
    if workers == 1:
        uvicorn.run(create_app(settings, store), host=host, port=port, log_level="info", backlog=LISTEN_BACKLOG,
                    timeout_graceful_shutdown=GRACEFUL_SECONDS, **limits)
        return
    store.close()  # each worker opens its own (the schema is already migrated, the demo seeded)
    os.environ["RINGFLOW_DATABASE_URL"] = settings.database_url  # the workers read their settings from the environment
    # worker processes are spawned: they get the protocol by name and build it from the environment
    limits["http"] = "ringflow.api.httpserver:LimitedHttpTools"
    os.environ["RINGFLOW_MAX_HEADER_BYTES"] = str(settings.max_header_bytes)
    os.environ["RINGFLOW_HEADER_TIMEOUT_SECONDS"] = str(settings.header_timeout_seconds)
    uvicorn.run(FACTORY, factory=True, workers=workers, host=host, port=port, log_level="info", backlog=LISTEN_BACKLOG,
                timeout_graceful_shutdown=GRACEFUL_SECONDS, **limits)


@db_app.command("upgrade")
def db_upgrade(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Create or migrate the database schema to the newest version."""
    with _friendly():
        store = _open(db)
        store.close()
    out.print(f"[green]Database is up to date:[/green] {escape(_db(db))}")


@app.command()
def demo(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         customers: int = typer.Option(0, "--customers", min=0, max=1_000_000, help="How many customers to create."),
         flows: int = typer.Option(1, "--flows", min=0, max=10_000, help="Flows per customer."),
         nodes: int = typer.Option(20, "--nodes", min=1, max=1_000_000, help="Nodes per flow."),
         big: list[int] = typer.Option([], "--big", min=1, max=1_000_000, help="Also one flow of this many nodes (repeatable)."),
         customer: Optional[int] = typer.Option(None, "--customer", min=1,
                                                help="Put the --big flows in this existing customer (default: the demo customer "
                                                     "'ringflow serve' made, when there is one).")) -> None:
    """Generate data sets, e.g. --customers 10000 --nodes 20, or --big 500000."""
    from ringflow.store.keys import new_api_key
    from ringflow.store.seed import DEMO_SETTING, sized_flow

    if customers == 0 and not big:
        err.print("[red]error:[/red] nothing to do: give --customers N and/or --big N")
        raise typer.Exit(2)
    with _friendly():
        store = _open(db)
        first_customer = None
        made: list[int] = []
        if customers:
            doc = sized_flow(nodes, f"Demo flow ({nodes} nodes)")
            docs = [cast(FlowDocument, {**doc, "name": f"Flow {j + 1}"}) for j in range(flows)]
            chunk = max(1, 20_000 // max(1, flows * len(doc["nodes"])))  # customers per transaction
            with _progress() as bar:
                task = bar.add_task(f"{customers} customers x {flows} flows of {len(doc['nodes'])} nodes", total=customers)
                for start in range(0, customers, chunk):
                    names = [f"Demo customer {i + 1}" for i in range(start, min(customers, start + chunk))]
                    for cid, fids in store.create_customers_with_flows(names, docs):
                        first_customer = first_customer or store.get_customer(cid)
                        made.extend(fids)
                    bar.advance(task, len(names))
        # big flows go where the person already signs in: a named customer, else the demo customer
        home = customer if customer is not None else (None if first_customer else _demo_customer(store, DEMO_SETTING))
        owner = store.get_customer(home) if home is not None else None
        if customer is not None and owner is None:
            raise CliError(f"customer {customer} does not exist")
        for size in big:
            cust = owner or first_customer or store.create_customer(f"Big flows {size}")
            first_customer = first_customer or cust
            with err.status(f"Generating and importing a {size:,}-node flow..."):
                made.append(store.create_flow(cust.id, sized_flow(size, f"Big flow ({size:,} nodes)"), checked=True).id)
            _share_editor_data(store, [(cust.id, made[-1])])
        assert first_customer is not None
        clear = None
        if owner is None or customers:  # an existing customer already has its key
            clear, key_hash, prefix = new_api_key()
            store.create_api_key(first_customer.id, key_hash, prefix)
        store.close()
    shown = ", ".join(map(str, made[:10])) + (f" ... {made[-1]}" if len(made) > 10 else "")
    out.print(f"Created {len(made)} flows (ids {shown}); first customer id {first_customer.id}.")
    if clear:
        out.print(f"API key for customer {first_customer.id}: [bold]{clear}[/bold]")
    else:
        out.print(f"They belong to customer {first_customer.id} ({escape(first_customer.name)}): sign in with its key as before.")


def _demo_customer(store: Store, setting: str) -> int | None:
    """The id of the demo customer 'ringflow serve' seeded on this database, if any."""
    seeded = store.get_setting(setting)
    return int(seeded) if seeded and seeded.isdigit() else None


@app.command("import")
def import_(file: Path = typer.Argument(..., help="A flow document (JSON)."),
            customer: int = typer.Option(..., "--customer", help="Customer id that will own the flow."),
            draft: bool = typer.Option(False, "--draft", help="Store it even with validation errors (as a draft to fix)."),
            fmt: str = typer.Option("ringflow", "--format", help="ringflow, studio, connect or auto (detect)."),
            db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Import a flow in one transaction: it lands whole or not at all."""
    with _friendly():
        if fmt == "ringflow":
            try:
                shape = decode_unlinked(_read_bytes(file))
            except msgspec.DecodeError as exc:
                raise CliError(f"{file} is not valid JSON: {exc}") from None
            raw: Any = None
            problems = validate_shape(shape, links_checked=False)
            doc = to_document(shape)
        else:
            raw = _read_json(file)
            doc = _to_document(raw, fmt)
            problems = validate(doc)
        with _collections_skip_what_exists():  # the document lives to the end: no collection need walk it again
            if isinstance(raw, dict) and "nodes" not in raw:  # Studio or Connect: say what could not be carried over
                from ringflow.interop.notes import import_warnings

                for note in import_warnings(doc):
                    err.print(f"[yellow]warning[/yellow] {escape(str(note['state']))} {escape(str(note['property']))}: "
                              f"{escape(note['message'])}")
            if has_errors(problems) and not draft:
                _print_problems(problems)
                raise CliError(f"{file} has {sum(p.severity == 'error' for p in problems)} error(s); fix them or import with --draft. "
                               "Nothing was written")
            store = _open(db)
            if store.get_customer(customer) is None:
                raise CliError(f"customer {customer} does not exist")
            with err.status(f"Importing {len(doc['nodes']):,} nodes..."):
                meta = store.create_flow(customer, doc, checked=True)
            _share_editor_data(store, [(customer, meta.id)])
            store.close()
            from ringflow.store.bigwrite import finish_checkpoints

            finish_checkpoints()  # the process ends next (_finish): leave the database file whole
    warnings = sum(p.severity == "warning" for p in problems)
    out.print(f"[green]Imported[/green] flow {meta.id} {escape(meta.name)!s}: {meta.node_count} nodes, {meta.edge_count} edges"
              + (f", {warnings} warning(s)" if warnings else ""))
    _finish()


@app.command()
def export(flow_id: int = typer.Argument(..., help="Flow id."),
           customer: int = typer.Option(..., "--customer", help="Customer id that owns the flow."),
           output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of standard output."),
           fmt: str = typer.Option("ringflow", "--format", help="ringflow or studio."),
           db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Write a flow's document (streamed, so big flows need little memory)."""
    with _friendly():
        if fmt not in ("ringflow", "studio"):
            raise CliError("--format must be ringflow or studio for export")
        store = _open(db)
        if store.get_flow(customer, flow_id) is None:
            raise CliError(f"flow {flow_id} does not exist for customer {customer}")
        if fmt == "studio":
            try:
                from ringflow.interop import to_studio
            except ImportError:
                raise CliError("the studio format is not available yet in this build") from None
            chunks: Any = [orjson.dumps(to_studio(store.get_document(customer, flow_id)), option=orjson.OPT_INDENT_2)]
        else:
            chunks = store.iter_document_chunks(customer, flow_id)
        sink = output.open("wb") if output else sys.stdout.buffer
        try:
            for chunk in chunks:
                sink.write(chunk)
            if not output:
                sink.write(b"\n")
            sink.flush()
        except BrokenPipeError:  # `ringflow export 1 | head`: the reader left, which is fine
            sys.stdout = None  # no second error at exit
            raise typer.Exit(0) from None
        finally:
            if output:
                sink.close()
            store.close()
    if output:
        err.print(f"[green]Exported[/green] flow {flow_id} to {escape(str(output))}")


@app.command("validate")
def validate_(file: Path = typer.Argument(..., help="A flow document (JSON)."),
              fmt: str = typer.Option("ringflow", "--format", help="ringflow, studio, connect or auto.")) -> None:
    """Check a flow document; exit 1 when it has errors (warnings are printed, exit 0)."""
    with _friendly(writes=False):
        if fmt == "ringflow":
            shape, problems = _checked(file)
            counts = len(shape.nodes), len(shape.edges)
        else:
            doc = _to_document(_read_json(file), fmt)
            problems = validate(doc)
            counts = len(doc["nodes"]), len(doc["edges"])
    if problems:
        _print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        err.print(f"[red]{file}: {errors} error(s), {len(problems) - errors} warning(s)[/red]")
        _finish(1)
    out.print(f"[green]{escape(str(file))} is valid[/green]: {counts[0]} nodes, {counts[1]} edges"
              + (f", {len(problems)} warning(s)" if problems else ""))
    _finish()


def _register_simulate() -> None:
    """``ringflow simulate``, whose options live beside the simulator (ringflow/runtime/cli.py)."""
    from ringflow.runtime.cli import simulate_command

    app.command("simulate")(simulate_command)


_register_simulate()


def main() -> None:
    """The ``ringflow`` program: a process of its own, which may end without freeing (``_finish``)."""
    _TEARDOWN["skip"] = True
    app()


if __name__ == "__main__":
    main()
