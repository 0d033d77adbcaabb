"""The ``gateway`` command line: serve, worker, migrate, emulate, schema, publish."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer

from gateway.settings import Settings, SettingsError, load_settings

__all__ = ["app"]

app = typer.Typer(help="catalog-gateway: one GraphQL endpoint over PIM, OMNICOMMERCE and CitrusAd.")

ConfigOption = Annotated[
    str | None, typer.Option("--config", "-c", help="TOML settings file (else GATEWAY_CONFIG).")
]


def _settings(config: str | None) -> Settings:
    try:
        return load_settings(os.environ, config)
    except SettingsError as exc:
        typer.echo(f"gateway: {exc}", err=True)
        raise typer.Exit(2) from None


def _logging(level: str = "INFO") -> None:
    from gateway.observability.logs import configure_logging

    configure_logging(level)


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Serve the gateway; upstreams without a URL are served by built-in emulators."""
    from gateway.runner import serve_gateway

    settings = _settings(config)
    _logging(settings.log_level)
    asyncio.run(serve_gateway(settings))


@app.command()
def worker(config: ConfigOption = None) -> None:
    """Run write jobs only (no HTTP), beside `gateway serve` processes on the same database."""
    from gateway.runner import run_worker

    settings = _settings(config)
    if settings.emulated_upstreams:
        names = ", ".join(settings.emulated_upstreams)
        typer.echo(
            f"gateway worker: set the URL of every upstream ({names} unset): built-in emulators "
            "live inside `gateway serve` and cannot be reached from another process",
            err=True,
        )
        raise typer.Exit(2)
    _logging(settings.log_level)
    asyncio.run(run_worker(settings))


@app.command()
def migrate(config: ConfigOption = None) -> None:
    """Bring the gateway's database (SQLite file or PostgreSQL) to the current schema version."""
    from gateway.storage import Database

    settings = _settings(config)
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
    from gateway.runner import serve_emulators

    _logging()
    ports = {"pim": pim_port, "omnicommerce": omnicommerce_port, "citrusad": citrusad_port}
    asyncio.run(serve_emulators(host, ports))


@app.command()
def schema(config: ConfigOption = None) -> None:
    """Print the GraphQL schema (SDL), with the fields of GATEWAY_EXTENSIONS if set."""
    from gateway.extensions import ExtensionError, load_extensions
    from schema import build_schema

    try:
        registry = load_extensions(_settings(config).extensions)
    except ExtensionError as exc:
        typer.echo(f"gateway: {exc}", err=True)
        raise typer.Exit(2) from None
    sys.stdout.write(str(build_schema(registry=registry)) + "\n")


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
