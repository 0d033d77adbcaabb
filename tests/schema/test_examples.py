"""``schema.examples`` reads the ``.graphql`` files frontend teams read, in file-name order."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.graphql.examples import EXAMPLES, EXAMPLES_DIR, load_examples


def test_each_file_is_one_example_with_its_variables(tmp_path: Path) -> None:
    (tmp_path / "02-second.graphql").write_text("# Second\n{ b }\n")
    (tmp_path / "01-first.graphql").write_text("# First one\nquery A($x: Int) { a(x: $x) }\n")
    (tmp_path / "01-first.variables.json").write_text('{"x": 1}')
    examples = load_examples(tmp_path)
    assert [(e["title"], e["variables"]) for e in examples] == [
        ("First one", {"x": 1}),
        ("Second", None),
    ]
    assert examples[0]["query"] == "# First one\nquery A($x: Int) { a(x: $x) }\n"


def test_a_file_without_its_title_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "01-untitled.graphql").write_text("{ a }\n")
    with pytest.raises(
        ValueError, match=r"01-untitled\.graphql: the first line must be '# <title>'"
    ):
        load_examples(tmp_path)


def test_every_variables_file_belongs_to_an_example() -> None:
    # A renamed .graphql file would otherwise leave its variables behind, silently unused.
    stems = {e["path"].stem for e in EXAMPLES}
    orphans = [
        p.name
        for p in EXAMPLES_DIR.glob("*.variables.json")
        if p.name.removesuffix(".variables.json") not in stems
    ]
    assert orphans == []
    assert len(EXAMPLES) == len(list(EXAMPLES_DIR.glob("*.graphql"))) > 0
