"""The README's "Scripting" examples run as written: each ```python block, as its own script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Scripting"


def scripting_blocks(text: str) -> list[str]:
    """The ```python blocks between the Scripting heading and the next level-2 heading.

    | README | blocks |
    | --- | --- |
    | ``## Scripting`` ... two python blocks, one sh block ... ``## Next`` | the two python ones |
    | no Scripting heading | none |
    """
    start = text.find(f"\n{SECTION}\n")
    if start < 0:
        return []
    body = text[start + len(SECTION) + 2 :]
    end = re.search(r"^## ", body, flags=re.MULTILINE)
    section = body[: end.start()] if end else body
    return re.findall(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


BLOCKS = scripting_blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_section_holds_embedding_extension_and_mapping_examples() -> None:
    assert len(BLOCKS) >= 3
    assert any("Gateway()" in b for b in BLOCKS)
    assert any("add_field" in b for b in BLOCKS)
    assert any("set_mapping" in b for b in BLOCKS)


def test_blocks_are_found_only_inside_the_section() -> None:
    text = "## A\n```python\nA\n```\n## Scripting\n```python\nB\n```\n```sh\nC\n```\n## D\n```python\nD\n```\n"
    assert scripting_blocks(text) == ["B\n"]
    assert scripting_blocks("## Other\n") == []


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs_as_written(index: int, tmp_path: Path) -> None:
    script = tmp_path / f"readme_block_{index}.py"
    script.write_text(BLOCKS[index], encoding="utf-8")
    # The reader's environment: default settings (emulators), the checkout importable.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_DATABASE=str(tmp_path / "gateway.sqlite3"), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"block {index} failed:\n{BLOCKS[index]}\n{done.stderr}"
    assert done.stdout.strip(), "each example prints what it did"
