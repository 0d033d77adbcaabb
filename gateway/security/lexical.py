"""One pass of graphql-core's lexer over a document, before any AST is built.

``scan_document(query, ...)`` returns the first limit the text breaks, as a coded
``GraphQLError``, or ``None``:

| limit | counted | ``extensions.code`` |
| --- | --- | --- |
| ``max_chars`` | characters of the text, before anything else | ``MAX_DOCUMENT_SIZE_LIMIT`` |
| ``max_tokens`` | lexical tokens | ``MAX_TOKENS_LIMIT`` |
| ``max_depth`` | open ``{ ( [`` brackets | ``MAX_DEPTH_LIMIT`` |
| ``max_repeated`` | selections of one response path (see below) | ``MAX_REPEATED_FIELDS`` |
| ``known_fields`` | a selected field no type of the schema has, in a document over ``SMALL_DOCUMENT_TOKENS`` tokens | ``GRAPHQL_VALIDATION_FAILED`` |

Why repeated fields: graphql-core's ``OverlappingFieldsCanBeMerged`` compares every pair of
fields with the same response name, and the sub-selections of each such pair again, so
``{ a a a ... }`` (2,400 times, 9.6 KB) costs half a second of CPU before any other rule has
a say. The work is the square of how often one response *path* occurs once same-named fields
are merged (as execution merges them): ``a { b b } a { b b }`` selects ``a.b`` four times.
So the scan counts, per operation or fragment, each path of response names (alias, else
field name), inline fragments merged into their parent, and refuses past ``max_repeated``
the moment a count passes it. A fragment spread adds the fragment's top-level names (through
its own spreads) at the path it is spread at, once per selection set as graphql-core
compares it; its deeper paths are checked inside the fragment, not merged again at every
spread, so a document of many spreads costs no more than its tokens.

Inline fragments merge too, so 60 ``... on T { id }`` in one set select ``id`` 60 times.

Why a length: graphql-core's lexer reads the text a character at a time in Python, about
0.25 µs each, so a 2 MB string literal, comment or run of white space costs half a second to
parse whatever its tokens; this scan reads it in C (about 10 ms for 2 MB).

Why unknown fields: graphql-core's validation costs about 10 µs a token, and each field no type
has costs it a search for suggestions besides, so a long document of made-up names was the
dearest refusal (30 ms at 1,000 tokens). A field name that no object or interface type of the
schema defines cannot be valid on any parent type, so refusing it here never refuses a valid
document. A short document is left to graphql-core: it is cheap there, and graphql-core's
message names the parent type.

Every count stops the scan early: a refusal costs the tokens up to the offending one. A text
the lexer cannot read gets ``None``: the parser reports its syntax error.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from graphql import GraphQLError, Source

__all__ = [
    "DOCUMENT_SIZE_CODE",
    "REPEATED_FIELDS_CODE",
    "SMALL_DOCUMENT_TOKENS",
    "UNKNOWN_FIELD_CODE",
    "scan_document",
]

REPEATED_FIELDS_CODE = "MAX_REPEATED_FIELDS"
DOCUMENT_SIZE_CODE = "MAX_DOCUMENT_SIZE_LIMIT"
UNKNOWN_FIELD_CODE = "GRAPHQL_VALIDATION_FAILED"
# Up to this many tokens an unknown field is left to graphql-core (about 2 ms to validate).
SMALL_DOCUMENT_TOKENS = 200

# GraphQL's lexical grammar as one regex, so the scan runs in C: each match is the ignored
# text (white space, commas, comments) and then one token, named by its group. Possessive
# quantifiers never backtrack: a 2 MB string literal is one linear step. Valid GraphQL
# tokenizes as graphql-core's lexer does it; anything else is one "other" token, and the
# parser that runs next reports it.
_TOKEN = re.compile(
    r"(?:[\s,\ufeff]++|\#[^\n\r]*+)*+"
    r"(?:(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r"|(?P<open>[{(\[])|(?P<close>[})\]])"
    r"|(?P<spread>\.\.\.)|(?P<colon>:)|(?P<at>@)"
    r'|(?P<block>"""(?:[^"\\]++|\\"""|\\|"(?!""))*+""")'
    r'|(?P<string>"(?:[^"\\\n\r]++|\\[\s\S])*+")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<punctuator>[!$&=|])"
    # Anything else, and the end: every match succeeds where it starts, so a run of white
    # space is read once (a failed match would be retried from each of its characters).
    r"|(?P<other>[\s\S])|\Z)"
)

Path = tuple[str, ...]
# Fields deeper than this are not counted: no tuple grows past it, so a 2,500-deep document
# costs no more than a shallow one (the depth limit refuses it anyway).
_MAX_PATH = 64


class _Refused(Exception):
    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class _Definition:
    """An operation's or fragment's counts, by response path relative to its root."""

    paths: dict[Path, int] = field(default_factory=dict)
    spreads: set[tuple[Path, str]] = field(default_factory=set)
    peak: int = 0  # the highest count in ``paths``


@dataclass(slots=True)
class _Scan:
    max_tokens: int | None
    max_depth: int | None
    max_repeated: int | None
    known_fields: frozenset[str] | None = None
    definitions: list[_Definition] = field(default_factory=list)
    fragments: dict[str, _Definition] = field(default_factory=dict)
    unknown: tuple[str, int] | None = None  # the first unknown field and where it starts

    def run(self, query: str) -> None:
        max_tokens = self.max_tokens if self.max_tokens is not None else len(query) + 1
        max_depth = self.max_depth if self.max_depth is not None else len(query) + 1
        max_repeated = self.max_repeated if self.max_repeated is not None else len(query) + 1
        tokens = nesting = parens = 0
        stack: list[Path] = []  # the response path of each open selection set
        current: _Definition | None = None
        header: list[str] = []  # the names read since a definition began
        last: Path | None = None  # the path of the field just read (its set may follow)
        after_spread = after_on = inline_pending = skip_name = after_at = False
        known = self.known_fields
        # A counted name is the field's, unless a colon follows (then it was the alias).
        candidate: re.Match[str] | None = None
        for match in _TOKEN.finditer(query):
            kind = match.lastgroup
            if kind is None:
                continue  # the end of the text
            tokens += 1
            if tokens > max_tokens:
                raise _Refused(_over("tokens", max_tokens))
            if candidate is not None:
                if kind != "colon":
                    self._check_field(candidate)
                candidate = None
            if after_spread and kind != "name":
                # "... @dir {" or "... {": an inline fragment without a type condition
                after_spread, inline_pending = False, True
            if kind == "name":
                if parens:
                    continue  # arguments and variable definitions hold values, not selections
                name = match.group("name")
                if not stack:
                    header.append(name)
                elif after_at:
                    after_at = False  # a directive's name
                elif after_on:
                    after_on = False  # the type condition
                elif after_spread:
                    after_spread = False
                    if name == "on":
                        after_on = inline_pending = True
                    elif current is not None:
                        current.spreads.add((stack[-1], name))
                elif skip_name:
                    skip_name = False  # "alias: name": the alias was the response name
                    if known is not None:
                        self._check_field(match)
                elif current is not None and len(stack[-1]) < _MAX_PATH:
                    if known is not None:
                        candidate = match
                    last = (*stack[-1], name)
                    count = current.paths[last] = current.paths.get(last, 0) + 1
                    if count > current.peak:
                        current.peak = count
                        if count > max_repeated:
                            raise _Refused(_repeated(last, max_repeated))
                else:
                    last = None  # too deep to count (the depth limit refuses it)
            elif kind == "open":
                nesting += 1
                if nesting > max_depth:
                    raise _Refused(_over("depth", max_depth))
                bracket = match.group("open")
                if bracket == "(":
                    parens += 1
                elif bracket == "{" and not parens:
                    current, last = self._open(stack, current, header, last, inline_pending)
                    inline_pending = after_on = False
            elif kind == "close":
                nesting -= 1
                bracket = match.group("close")
                if bracket == ")":
                    parens = max(0, parens - 1)
                elif bracket == "}" and not parens:
                    if stack:
                        stack.pop()
                    if not stack:
                        header, current = [], None
                    last = None
            elif parens:
                continue
            elif kind == "spread":
                after_spread, last = True, None
            elif kind == "at":
                after_at = True
            elif kind == "colon":
                skip_name = True
        if candidate is not None:
            self._check_field(candidate)
        if self.unknown is not None and tokens > SMALL_DOCUMENT_TOKENS:
            raise _Refused(_unknown_field(query, *self.unknown))
        self._check_spreads()

    def _check_field(self, match: re.Match[str]) -> None:
        if self.unknown is None and self.known_fields is not None:
            name = match.group("name")
            if name not in self.known_fields:
                self.unknown = (name, match.start("name"))

    def _open(
        self,
        stack: list[Path],
        current: _Definition | None,
        header: list[str],
        last: Path | None,
        inline: bool,
    ) -> tuple[_Definition | None, None]:
        """A selection set opens: a definition's root, an inline fragment's (merged into
        its parent) or a field's."""
        if not stack:
            current = _Definition()
            if header[:1] == ["fragment"] and len(header) > 1:
                self.fragments[header[1]] = current
            else:
                self.definitions.append(current)
            stack.append(())
        elif inline or last is None:
            stack.append(stack[-1])
        else:
            stack.append(last)
        return current, None

    def _check_spreads(self) -> None:
        if self.max_repeated is None:
            return
        summaries = _Summaries(self.fragments, self.max_repeated)
        for definition in (*self.definitions, *self.fragments.values()):
            at: dict[Path, list[str]] = {}
            for path, name in definition.spreads:
                at.setdefault(path, []).append(name)
            for path, names in at.items():
                summaries.check(definition, path, names)


class _Summaries:
    """Per fragment: its top-level response names counted through its own spreads, and the
    highest count of any deeper path; computed once each, a cycle counted as empty.

    A fragment counts once per selection set however often it is spread there: graphql-core
    collects a set's fragment names once and never compares a fragment with itself.
    """

    def __init__(self, fragments: dict[str, _Definition], limit: int) -> None:
        self._fragments = fragments
        self._limit = limit
        self._summary: dict[str, tuple[Counter[str], int, int]] = {}

    def summary(self, name: str) -> tuple[Counter[str], int, int]:
        """``(top-level counts, their highest, the highest deeper count)``."""
        known = self._summary.get(name)
        if known is not None:
            return known
        self._summary[name] = (Counter(), 0, 0)  # a cycle (refused later) adds nothing
        definition = self._fragments.get(name)
        if definition is None:
            return self._summary[name]
        top: Counter[str] = Counter()
        deep = 0
        for path, count in definition.paths.items():
            if len(path) == 1:
                top[path[0]] += count
            else:
                deep = max(deep, count)
        for path, inner in definition.spreads:
            inner_top, inner_peak, inner_deep = self.summary(inner)
            if path:
                deep = max(deep, inner_peak, inner_deep)
            else:
                top.update(inner_top)
                deep = max(deep, inner_deep)
        peak = max(top.values(), default=0)
        if peak > self._limit:
            worst = max(top, key=top.__getitem__)
            raise _Refused(_repeated((worst,), self._limit, f" (in fragment '{name}')"))
        self._summary[name] = (top, peak, deep)
        return self._summary[name]

    def check(self, definition: _Definition, path: Path, names: list[str]) -> None:
        """The names selected at ``path``: the definition's own plus each spread fragment's.

        Deeper paths are bounded by each fragment's deepest count, not merged: a fragment
        spread at many paths costs one look per path, not its size each time.
        """
        limit = self._limit
        summaries = [self.summary(name) for name in names]
        for name, (_, _, deep) in zip(names, summaries, strict=True):
            if deep > limit:
                raise _Refused(_repeated(path, limit, f" (in fragment '{name}')"))
        if definition.peak + sum(peak for _, peak, _ in summaries) <= limit:
            return  # no name can go over: no need to merge
        merged: Counter[str] = Counter()
        for top, _, _ in summaries:
            merged.update(top)
        for key, count in merged.items():
            if count + definition.paths.get((*path, key), 0) > limit:
                raise _Refused(_repeated((*path, key), limit, " (through fragments)"))


def _over(kind: str, limit: int) -> GraphQLError:
    if kind == "tokens":
        return GraphQLError(
            f"The document has more than {limit} tokens.",
            extensions={"code": "MAX_TOKENS_LIMIT", "limit": limit},
        )
    return GraphQLError(
        f"The operation is nested deeper than the limit of {limit}.",
        extensions={"code": "MAX_DEPTH_LIMIT", "limit": limit},
    )


def _repeated(path: Path, limit: int, where: str = "") -> GraphQLError:
    shown = ".".join(path)
    return GraphQLError(
        f"The field '{shown}' is selected more than {limit} times in one selection set{where}.",
        extensions={"code": REPEATED_FIELDS_CODE, "limit": limit, "field": shown},
    )


def _unknown_field(query: str, name: str, position: int) -> GraphQLError:
    return GraphQLError(
        f"Cannot query field '{name}': no type of the schema has a field of that name.",
        source=Source(query),
        positions=[position],
        extensions={"code": UNKNOWN_FIELD_CODE},
    )


def scan_document(
    query: str,
    *,
    max_tokens: int | None,
    max_depth: int | None,
    max_repeated: int | None,
    max_chars: int | None = None,
    known_fields: frozenset[str] | None = None,
) -> GraphQLError | None:
    """The first limit ``query`` breaks (see the module docstring), else ``None``.

    ``known_fields``: every field name the schema's object and interface types define (with
    the meta fields ``__typename``, ``__schema``, ``__type``); ``None`` skips that check.
    """
    if max_chars is not None and len(query) > max_chars:
        return GraphQLError(
            f"The document is longer than {max_chars} characters.",
            extensions={"code": DOCUMENT_SIZE_CODE, "limit": max_chars},
        )
    scan = _Scan(max_tokens, max_depth, max_repeated, known_fields)
    try:
        scan.run(query)
    except _Refused as refused:
        return refused.error
    except GraphQLError:
        return None  # unreadable: the parser says why
    return None
