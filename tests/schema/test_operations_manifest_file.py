"""schema/operations.json, the manifest frontend teams and trusted-documents mode read, is the
one `gateway operations` writes from schema/examples/*.graphql today (run it after editing
an example)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.operations_manifest import build_manifest, manifest_json

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_manifest_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the default sources are relative to the project, as the command runs
    expected = manifest_json(build_manifest())
    assert (ROOT / "schema" / "operations.json").read_text() == expected
