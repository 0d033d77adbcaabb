"""Example operations preloaded in GraphiQL, read from ``schema/examples/``.

Each example is one ``NN-name.graphql`` file (``NN`` orders the tabs) whose first line is
``# <title>``, beside an optional ``NN-name.variables.json``. Every one runs against the demo
data: tests run them over HTTP and, in a browser, from GraphiQL's tabs.

| key | what |
| --- | --- |
| ``title`` | the first line, without ``# `` |
| ``query`` | the whole file, as GraphiQL shows it |
| ``variables`` | the JSON file's object, or ``None`` |
| ``path`` | the ``.graphql`` file |
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES", "EXAMPLES_DIR", "load_examples"]

EXAMPLES_DIR = Path(__file__).with_name("examples")


def load_examples(folder: Path = EXAMPLES_DIR) -> list[dict[str, Any]]:
    """The examples in ``folder``, in file-name order; a file without its title line is refused."""
    examples: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        first = query.partition("\n")[0]
        if not first.startswith("# ") or not first[2:].strip():
            raise ValueError(f"{path}: the first line must be '# <title>'")
        variables_file = path.with_suffix(".variables.json")
        variables = None
        if variables_file.exists():
            variables = json.loads(variables_file.read_text(encoding="utf-8"))
        examples.append(
            {"title": first[2:].strip(), "query": query, "variables": variables, "path": path}
        )
    return examples


EXAMPLES: list[dict[str, Any]] = load_examples()
