"""Extensions: fields and root fields added by a module, and clear failures at start."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

from gateway import ExtensionError, Gateway
from gateway.emulators.demo import demo_tid
from gateway.graphql import build_schema


async def test_example_extension_field_is_in_the_sdl_and_resolves_batched() -> None:
    async with Gateway(extensions=["examples.computed_field"]) as gw:
        sdl = str(gw.schema)
        assert "nodeName(locale: String = null): String" in sdl
        assert "productTitles(tids: [String!]!): [String]!" in sdl
        tids = [demo_tid(i) for i in range(1, 41)]
        result = await gw.execute(
            "query($t: [String!]!) { products(tids: $t) { tid nodeName } productTitles(tids: $t) }",
            {"t": tids},
        )
        assert result.ok, result.errors
        names = {p["nodeName"] for p in result.data["products"]}  # type: ignore[index]
        assert names <= {"Damen", "Oberteile", "Jeans", "Test"} and len(names) > 1
        assert result.data["productTitles"][0] == "Demo product 001"  # type: ignore[index]
        assert gw.emulators is not None
        calls = Counter(e.path for e in gw.emulators.pim.state.log.entries())
        assert calls["/api/core/v1/pim/nodes/retrieve"] == 1
        assert calls["/api/core/v1/pim/products/retrieve"] == 1


def test_extension_fields_do_not_leak_into_other_schemas() -> None:
    Gateway(extensions=["examples.computed_field"])
    assert "nodeName" not in str(build_schema())


def test_missing_module_is_named() -> None:
    with pytest.raises(ExtensionError, match="extension no_such_module could not be imported"):
        Gateway(extensions=["no_such_module"])


def test_module_without_register_is_named() -> None:
    module = types.ModuleType("ext_without_register")
    with pytest.raises(ExtensionError, match="ext_without_register has no register"):
        Gateway(extensions=[module])


def test_extension_that_breaks_the_schema_fails_at_start_with_its_name() -> None:
    module = types.ModuleType("ext_broken_field")

    def untyped(root):  # type: ignore[no-untyped-def]  # no return annotation: invalid
        return 1

    def register(registry):  # type: ignore[no-untyped-def]
        registry.add_field("Product", "broken", untyped)

    module.register = register  # type: ignore[attr-defined]
    sys.modules["ext_broken_field"] = module
    try:
        with pytest.raises(ExtensionError, match="ext_broken_field"):
            Gateway(extensions=["ext_broken_field"])
    finally:
        del sys.modules["ext_broken_field"]
    assert "broken" not in str(build_schema())


def test_extension_on_an_unknown_type_is_named() -> None:
    module = types.ModuleType("ext_unknown_type")

    def resolver(root: object) -> str:
        return "x"

    module.register = lambda registry: registry.add_field("Nope", "x", resolver)  # type: ignore[attr-defined]
    with pytest.raises(ExtensionError, match="ext_unknown_type: no type 'Nope'"):
        Gateway(extensions=[module])


async def test_request_hooks_run_before_each_operation() -> None:
    seen: list[object] = []
    module = types.ModuleType("ext_hook")

    async def hook(context: object) -> None:
        seen.append(context)

    module.register = lambda registry: registry.add_request_hook(hook)  # type: ignore[attr-defined]
    async with Gateway(extensions=[module]) as gw:
        await gw.execute("{ gatewayVersion }")
        await gw.execute("{ gatewayVersion }")
    assert len(seen) == 2


def test_the_gateway_script_imports_extensions_from_the_current_directory(tmp_path: Path) -> None:
    # The README's command: `GATEWAY_EXTENSIONS=examples.computed_field gateway schema`, run
    # through the console script (whose sys.path does not hold the current directory).
    script = Path(sys.executable).with_name("gateway")
    env = {**os.environ, "GATEWAY_EXTENSIONS": "examples.computed_field"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(script), "schema"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "nodeName(locale: String = null): String" in done.stdout
