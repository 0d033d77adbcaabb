"""The ``gateway`` command line: serve, worker, migrate, emulate, schema, check, key, publish,
operations.

A start-up mistake (``gateway.startup``: a setting, a port in use, an extension, an
unreachable database) is one line on stderr and exit code 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version as distribution_version
from typing import Annotated, NoReturn

import typer

from gateway.operations_manifest import operations as write_operations_manifest
from gateway.settings import Settings, SettingsError, load_settings

__all__ = ["app"]

DISTRIBUTION = "catalog-gateway"

app = typer.Typer(help="catalog-gateway: one GraphQL endpoint over PIM, OMNICOMMERCE and CitrusAd.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"gateway {distribution_version(DISTRIBUTION)}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """catalog-gateway: one GraphQL endpoint over PIM, OMNICOMMERCE and CitrusAd."""


ConfigOption = Annotated[
    str | None, typer.Option("--config", "-c", help="TOML settings file (else GATEWAY_CONFIG).")
]


def _settings(config: str | None) -> Settings:
    try:
        return load_settings(os.environ, config)
    except SettingsError as exc:
        _fail(exc)


def _fail(exc: Exception) -> NoReturn:
    # One line whatever the message holds (an extension's SyntaxError spans several).
    typer.echo("gateway: " + " ".join(str(exc).split()), err=True)
    raise typer.Exit(2) from None


@contextmanager
def _startup_mistakes() -> Iterator[None]:
    """Tell a start-up mistake in one line, exit code 2.

    Mistakes are ``SettingsError``, ``ExtensionError`` and ``StartupError`` (the table in
    ``gateway/startup.py``); any other exception is a bug and keeps its traceback.
    """
    from gateway.startup import STARTUP_ERRORS

    try:
        yield
    except STARTUP_ERRORS as exc:
        _fail(exc)


def _logging(level: str = "INFO") -> None:
    from gateway.observability.logs import configure_logging

    configure_logging(level)


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Serve the gateway; upstreams without a URL are served by built-in emulators."""
    settings = _settings(config)  # before the heavy imports below, so its mistakes are told fast
    with _startup_mistakes():
        from gateway.runner import run_loop, serve_gateway
        from gateway.startup import reach_database

        reach_database(settings.database)
        _logging(settings.log_level)
        run_loop(serve_gateway(settings), settings.event_loop)


@app.command()
def worker(config: ConfigOption = None) -> None:
    """Run write jobs only (no HTTP), beside `gateway serve` processes on the same database."""
    settings = _settings(config)
    with _startup_mistakes():
        from gateway.runner import run_loop, run_worker
        from gateway.startup import reach_database

        if settings.emulated_upstreams:
            names = ", ".join(settings.emulated_upstreams)
            typer.echo(
                f"gateway worker: set the URL of every upstream ({names} unset): built-in "
                "emulators live inside `gateway serve` and cannot be reached from another process",
                err=True,
            )
            raise typer.Exit(2)
        reach_database(settings.database)
        _logging(settings.log_level)
        run_loop(run_worker(settings), settings.event_loop)


@app.command()
def migrate(config: ConfigOption = None) -> None:
    """Bring the gateway's database (SQLite file or PostgreSQL) to the current schema version."""
    with _startup_mistakes():
        from gateway.startup import reach_database
        from gateway.storage import Database

        settings = _settings(config)
        reach_database(settings.database)
        database = Database(settings.database)
    try:
        done = ", ".join(map(str, database.applied)) or "none needed"
        typer.echo(f"{database.describe()}: schema version {database.version} (ran: {done})")
    finally:
        database.close()


@app.command()
def emulate(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    pim_port: Annotated[int, typer.Option(help="OMN PIM emulator port.")] = 8101,
    omnicommerce_port: Annotated[int, typer.Option(help="OMNICOMMERCE emulator port.")] = 8102,
    citrusad_port: Annotated[int, typer.Option(help="CitrusAd emulator port.")] = 8103,
) -> None:
    """Serve the three upstream emulators alone, seeded with the demo data."""
    with _startup_mistakes():
        from gateway.runner import serve_emulators

        _logging()
        ports = {"pim": pim_port, "omnicommerce": omnicommerce_port, "citrusad": citrusad_port}
        asyncio.run(serve_emulators(host, ports))


@app.command()
def schema(config: ConfigOption = None) -> None:
    """Print the GraphQL schema (SDL), with the fields of GATEWAY_EXTENSIONS if set."""
    with _startup_mistakes():
        from gateway.extensions import load_extensions
        from gateway.graphql import build_schema

        registry = load_extensions(_settings(config).extensions)
        sdl = str(build_schema(registry=registry))
    sys.stdout.write(sdl + "\n")


@app.command()
def check(
    config: ConfigOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds each upstream has to answer.")] = 5.0,
) -> None:
    """Validate the settings, then reach the database and each upstream: one line each.

    Exit code 0 when all are ok, 1 when one failed, 2 for a settings mistake.
    """
    with _startup_mistakes():
        from gateway.preflight import check as run_check

        settings = _settings(config)
        _logging("ERROR")  # the lines below say what matters; warnings would repeat them
        findings = asyncio.run(run_check(settings, probe_seconds=timeout))
    for finding in findings:
        typer.echo(str(finding))
    raise typer.Exit(0 if all(finding.ok for finding in findings) else 1)


@app.command()
def key(
    scopes: Annotated[
        str, typer.Option(help="read, write or read+write: what the key's holder may do.")
    ] = "read",
    subject: Annotated[
        str | None,
        typer.Option(help="Who holds the key, as logs and jobs name it (else api-key:<hex>)."),
    ] = None,
) -> None:
    """Make an API key and its complete GATEWAY_API_KEYS entry.

    Prints the key (give it to its holder; it is stored nowhere) and the entry,
    sha256:<hex>:<scopes>[:<subject>].
    """
    from gateway.security import generate_api_key, hash_api_key

    wanted = set(scopes.split("+"))
    if not wanted or not wanted <= {"read", "write"}:
        _fail(SettingsError(f"--scopes {scopes!r} is not read, write or read+write"))
    if subject is not None and ("," in subject or not subject.strip()):
        # GATEWAY_API_KEYS is split on commas, so a comma would cut the entry in two.
        _fail(SettingsError("--subject must be non-empty and hold no comma"))
    secret = generate_api_key()
    entry = f"{hash_api_key(secret)}:{'+'.join(sorted(wanted))}"
    if subject is not None:
        entry += f":{subject.strip()}"
    typer.echo(f"key: {secret}")
    typer.echo(f"GATEWAY_API_KEYS entry: {entry}")
    typer.echo(
        "Give the key to its holder now: only its hash is kept. Add the entry to "
        "GATEWAY_API_KEYS (entries are comma-separated).",
        err=True,
    )


@app.command()
def publish(
    tid: Annotated[list[str] | None, typer.Option(help="A product tid (repeatable).")] = None,
    node_path: Annotated[
        list[str] | None, typer.Option(help="Products under this node path (repeatable).")
    ] = None,
    modified_from: Annotated[
        str | None, typer.Option(help="Products modified at or after (ISO date/time; UTC).")
    ] = None,
    modified_until: Annotated[
        str | None, typer.Option(help="Products modified at or before (ISO date/time; UTC).")
    ] = None,
    from_file: Annotated[
        str | None, typer.Option(help="A file of tids, one a line ('-': stdin).")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="omnicommerce or citrusad (repeatable; default both).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Map and check, write nothing.")] = False,
    config: ConfigOption = None,
) -> None:
    """Publish PIM products to OMNICOMMERCE and CitrusAd with the gateway's mappings."""
    from gateway.publish_cli import Selection, run

    selection = Selection(tid or (), from_file, node_path or (), modified_from, modified_until)
    raise typer.Exit(run(_settings(config), selection, channel or (), dry_run=dry_run))


# Trusted documents: the manifest of the operations in .graphql files (Apollo's format).
app.command(name="operations")(write_operations_manifest)
