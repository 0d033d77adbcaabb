"""The package as `pip install .` builds it: the gateway alone at the top level (no `schema`
package to collide with PyPI's), with GraphiQL's files and the example operations inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_only_the_gateway_package_and_its_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("catalog_gateway-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"gateway"}
    assert "gateway/graphql/__init__.py" in names
    examples = [n for n in names if n.startswith("gateway/graphql/examples/")]
    assert any(n.endswith(".graphql") for n in examples)
    assert "gateway/graphiql_page.html" in names
    assert any(n.startswith("gateway/graphiql_assets/") for n in names)
