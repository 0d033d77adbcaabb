"""GraphiQL's page, with the example operations preloaded as tabs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["with_examples"]


def with_examples(page: str, examples: Sequence[dict[str, Any]]) -> str:
    """Strawberry's GraphiQL page with ``examples`` as its tabs (the first one opened)."""
    tabs = [
        {
            "query": example["query"],
            "variables": json.dumps(example.get("variables") or {}, indent=2),
        }
        for example in examples
    ]
    # "</" would end the <script> element early.
    script = "const GATEWAY_EXAMPLES = " + json.dumps(tabs).replace("</", "<\\/") + ";\n"
    marker = "function GraphiQLWithExplorer()"
    if marker not in page or "fetcher: fetcher," not in page:
        return page  # a strawberry upgrade changed the page: serve it as it is
    page = page.replace(marker, script + "      " + marker, 1)
    page = page.replace(
        "parameters.q || EXAMPLE_QUERY", "parameters.q || GATEWAY_EXAMPLES[0].query"
    )
    page = page.replace(
        "parameters.variables,", "parameters.variables || GATEWAY_EXAMPLES[0].variables,", 1
    )
    return page.replace(
        "fetcher: fetcher,", "fetcher: fetcher,\n          defaultTabs: GATEWAY_EXAMPLES,", 1
    )
