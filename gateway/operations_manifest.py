"""The persisted-operation manifest: every operation of some ``.graphql`` files, keyed by hash.

``gateway operations [PATHS...] [--output FILE]`` writes it (default: ``schema/examples/*.graphql``
into ``schema/operations.json``) in Apollo's persisted query manifest format, which Apollo's
router and GraphOS read too::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256 of body>", "name": "OneProduct", "type": "query",
                     "body": "query OneProduct { ... }"}]}

An operation's ``body`` is the operation and the fragments it uses, printed by graphql-core
(operation first, then fragments by name), as Apollo's generator prints its documents; the
``id`` is the SHA-256 of that text, so a client may name it by that hash
(``extensions.persistedQuery.sha256Hash``) or send the body itself. The output is the same for
the same operations whatever the file order: operations are sorted by name, then id.

``load_manifest(path)`` reads one back for the gateway (``trusted_documents_manifest``).
"""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

__all__ = [
    "DEFAULT_OUTPUT",
    "DEFAULT_SOURCES",
    "FORMAT",
    "Manifest",
    "ManifestError",
    "ManifestOperation",
    "build_manifest",
    "load_manifest",
    "manifest_json",
    "operations",
    "sha256_hex",
]

FORMAT = "apollo-persisted-query-manifest"
DEFAULT_SOURCES = ("schema/examples/*.graphql",)
DEFAULT_OUTPUT = "schema/operations.json"


class ManifestError(ValueError):
    """The operations cannot make a manifest, or a file is not one; the message says which."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str
    name: str
    type: str
    body: str


class Manifest:
    """Operations by id, and the set of their bodies (for matching a sent text exactly)."""

    def __init__(self, operations: tuple[ManifestOperation, ...]) -> None:
        self.operations = operations
        self._by_id = {op.id: op.body for op in operations}
        self._bodies = frozenset(op.body for op in operations)

    def body(self, operation_id: str) -> str | None:
        return self._by_id.get(operation_id)

    def has_body(self, text: str) -> bool:
        return text in self._bodies

    def __len__(self) -> int:
        return len(self.operations)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _spread_names(node: Node) -> set[str]:
    spreads = _Spreads()
    visit(node, spreads)
    return spreads.names


def _used_fragments(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode], where: str
) -> list[FragmentDefinitionNode]:
    used: dict[str, FragmentDefinitionNode] = {}
    pending = _spread_names(operation)
    while pending:
        name = pending.pop()
        if name in used:
            continue
        if name not in fragments:
            raise ManifestError(f"{where}: fragment {name!r} is used but not defined")
        used[name] = fragments[name]
        pending |= _spread_names(fragments[name])
    return [used[name] for name in sorted(used)]


def _operations_of(text: str, where: str) -> list[ManifestOperation]:
    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        raise ManifestError(f"{where}: {exc.message}") from None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.name is None:
            # Clients and logs tell operations apart by name; Apollo's generator refuses too.
            raise ManifestError(f"{where}: every operation needs a name")
        parts = (definition, *_used_fragments(definition, fragments, where))
        body = print_ast(DocumentNode(definitions=parts))
        found.append(
            ManifestOperation(
                id=sha256_hex(body),
                name=definition.name.value,
                type=definition.operation.value,
                body=body,
            )
        )
    return found


def _files(sources: list[str] | tuple[str, ...]) -> list[Path]:
    files: set[Path] = set()
    for source in sources:
        matched = [Path(p) for p in glob.glob(source, recursive=True)]
        if not matched and Path(source).is_file():
            matched = [Path(source)]
        if not matched:
            raise ManifestError(f"{source}: no such file")
        files.update(p for p in matched if p.is_file())
    return sorted(files)


def build_manifest(sources: list[str] | tuple[str, ...] = DEFAULT_SOURCES) -> dict[str, Any]:
    """The manifest of every operation in the files ``sources`` (paths or globs) name."""
    by_name: dict[str, ManifestOperation] = {}
    for path in _files(sources):
        for operation in _operations_of(path.read_text(encoding="utf-8"), str(path)):
            seen = by_name.get(operation.name)
            if seen is not None and seen.body != operation.body:
                raise ManifestError(f"{path}: operation {operation.name!r} is defined twice")
            by_name[operation.name] = operation
    ordered = sorted(by_name.values(), key=lambda op: (op.name, op.id))
    return {
        "format": FORMAT,
        "version": 1,
        "operations": [
            {"id": op.id, "name": op.name, "type": op.type, "body": op.body} for op in ordered
        ],
    }


def manifest_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _operation(entry: Any, where: str) -> ManifestOperation:
    fields = ("id", "name", "type", "body")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields):
        raise ManifestError(f"{where}: each operation needs id, name, type and body strings")
    operation = ManifestOperation(*(entry[f] for f in fields))
    if sha256_hex(operation.body) != operation.id.lower():
        raise ManifestError(f"{where}: operation {operation.name!r}: id is not the body's SHA-256")
    return ManifestOperation(operation.id.lower(), operation.name, operation.type, operation.body)


def load_manifest(path: str | Path) -> Manifest:
    """A manifest written by ``gateway operations`` (or Apollo's generator); every id is
    checked against its body, so a hand-edited body cannot run under another's id."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{where}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ManifestError(f"{where}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
        raise ManifestError(f"{where}: not an {FORMAT} (version 1)")
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise ManifestError(f"{where}: 'operations' must be a list")
    return Manifest(tuple(_operation(entry, where) for entry in entries))


def operations(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="`.graphql` files or globs (default: schema/examples/*.graphql)."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the manifest.")
    ] = Path(DEFAULT_OUTPUT),
) -> None:
    """Write the persisted-operation manifest (Apollo's format) of `.graphql` files."""
    try:
        manifest = build_manifest(tuple(paths) if paths else DEFAULT_SOURCES)
    except ManifestError as exc:
        typer.echo(f"gateway: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(2) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(manifest_json(manifest), encoding="utf-8")
    typer.echo(f"{len(manifest['operations'])} operations written to {output}")
