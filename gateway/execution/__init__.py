"""A compiled, batch-by-level executor for hot queries, beside graphql-core's.

graphql-core resolves and completes every field of every object on its own (several
microseconds each: info objects, paths, awaitables); a deep read of 100 products is thousands
of fields. The fast path plans an operation once (``plan.py``) and runs it level by level
(``run.py``): one loop per field over all the objects of a level, one loader batch per hot
async field (``batch.py``), the strawberry resolvers called directly (``fields.py``). Parsed
and validated documents are kept per query text (``documents.py``). ``engine.py`` decides,
per operation, which path runs; the answers are the same (``tests/execution``).

| module | holds |
| --- | --- |
| ``engine`` | ``FastExecution``: the execute function strawberry calls, ``FastStats`` |
| ``documents`` | ``DocumentCache``: parse and validation once per query text |
| ``plan`` | ``Planner``: operations compiled to per-type field plans |
| ``fields`` | how one field is resolved without graphql-core |
| ``batch`` | whole-level implementations of the hot async fields |
| ``run`` | ``Run``: executing a plan for one request |
"""

from __future__ import annotations

from gateway.execution.documents import DocumentCache
from gateway.execution.engine import FastExecution, FastStats, fast_execution_enabled

__all__ = ["DocumentCache", "FastExecution", "FastStats", "fast_execution_enabled"]
