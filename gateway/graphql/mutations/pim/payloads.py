"""What the PIM mutations answer: one result per input item, with every PIM answer about it.

A product with articles and variants may draw several ``<response>``s from the PIM (one per
item it changed). Its ``PimWriteResult`` sums them up (the worst status; the action, ids and
type of the answer about the product itself) and lists them all in ``answers``, each naming
the input item it concerns (``products[0].articles[1]``). For every other write an item has
one answer.
"""

from __future__ import annotations

import strawberry

from gateway.graphql.types.products import Product
from gateway.graphql.types.writes import WriteAction, WriteId, WriteResult, WriteStatus
from gateway.upstreams.records import WriteOutcome
from gateway.writes.pim import ItemAnswer, ItemResult

__all__ = ["CopyProductPayload", "PimAnswer", "PimWritePayload", "PimWriteResult"]


def _action(outcome: WriteOutcome) -> WriteAction | None:
    try:
        return WriteAction(outcome.action)
    except ValueError:
        return None


def _ids(outcome: WriteOutcome) -> list[WriteId]:
    return [WriteId(key=k, value=v) for k, v in outcome.ids.items()]


@strawberry.type(description="One answer of the PIM, about an input item or a part of it.")
class PimAnswer:
    item: str = strawberry.field(
        description="The input item it concerns, e.g. products[0] or products[0].articles[1]."
    )
    data_type: str | None = strawberry.field(
        description="What the PIM says it concerns: product, article, variant, classNode ..."
    )
    status: WriteStatus = strawberry.field(description="The PIM's status for it.")
    action: WriteAction | None = strawberry.field(description="What the PIM did or tried.")
    ids: list[WriteId] = strawberry.field(
        description="The ids the PIM answered (id, tid, path ...)."
    )
    message: str | None = strawberry.field(description="The PIM's description.")

    @classmethod
    def from_answer(cls, answer: ItemAnswer) -> PimAnswer:
        outcome = answer.outcome
        return cls(
            item=answer.item,
            data_type=outcome.data_type,
            status=WriteStatus(outcome.status.value),
            action=_action(outcome),
            ids=_ids(outcome),
            message=outcome.message,
        )


@strawberry.type(
    description="One input item's outcome: the worst status of the PIM's answers about it "
    "(UNKNOWN when none came), and every answer in `answers`."
)
class PimWriteResult(WriteResult):
    item: str = strawberry.field(description="The input item, e.g. products[2].")
    data_type: str | None = strawberry.field(
        description="What the answer about the item itself concerns (product, classNode ...)."
    )
    answers: list[PimAnswer] = strawberry.field(
        description="Every PIM answer about the item and its parts, in answer order."
    )

    @classmethod
    def from_result(cls, result: ItemResult) -> PimWriteResult:
        outcome = result.outcome
        return cls(
            index=result.index,
            status=WriteStatus(outcome.status.value),
            action=_action(outcome),
            ids=_ids(outcome),
            message=outcome.message,
            item=result.item,
            data_type=outcome.data_type,
            answers=[PimAnswer.from_answer(a) for a in result.answers],
        )


def _all_ok(results: list[PimWriteResult]) -> bool:
    return all(r.status in (WriteStatus.SUCCESS, WriteStatus.WARNING) for r in results)


@strawberry.type(
    description="A PIM batch write's answer: one result per input item, in input order."
)
class PimWritePayload:
    results: list[PimWriteResult] = strawberry.field(description="One per input item, in order.")

    @strawberry.field(description="True when every item ended SUCCESS or WARNING.")
    def ok(self) -> bool:
        return _all_ok(self.results)

    @classmethod
    def from_results(cls, results: list[ItemResult]) -> PimWritePayload:
        return cls(results=[PimWriteResult.from_result(r) for r in results])


@strawberry.type(description="A product copy's answer and the new product, read after the copy.")
class CopyProductPayload:
    results: list[PimWriteResult] = strawberry.field(description="The copy's one result.")
    product: Product | None = strawberry.field(
        description="The new product (null unless the copy succeeded)."
    )

    @strawberry.field(description="True when the copy ended SUCCESS or WARNING.")
    def ok(self) -> bool:
        return _all_ok(self.results)
