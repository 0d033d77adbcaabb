"""``make bench``: measure the gateway, and a plain strawberry baseline, against the emulators.

| module | holds |
| --- | --- |
| ``__main__`` | the command line (``python -m bench --help``) |
| ``options`` | what one run measures: request counts, concurrency, scenarios |
| ``scenarios`` | the GraphQL documents and how each scenario varies them |
| ``processes`` | starting, pinning, probing and stopping the servers under test |
| ``upstreams`` | the emulators' own process, with an answer-status counter |
| ``baseline`` | the plain strawberry + httpx + DataLoader gateway it is compared with |
| ``load`` | the closed-loop load generator (httpx, fixed concurrency) |
| ``bulk`` | the bulk-write scenarios, when the schema has the mutations |
| ``report`` | percentiles and the plain-text tables |
| ``runner`` | one whole run, in order |
"""

from __future__ import annotations

__all__: list[str] = []
