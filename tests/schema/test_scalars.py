from __future__ import annotations

import pytest

from gateway.emulators.demo import demo_gtin
from gateway.graphql.scalars import parse_commerce_id, parse_gtin


@pytest.mark.parametrize(
    "code", ["4000000000013", "96385074", "036000291452", "10012345678902", demo_gtin(300)]
)
def test_valid_gtins(code: str) -> None:
    assert parse_gtin(code) == code


@pytest.mark.parametrize("code", ["4000000000014", "123", "40000000000a3", "", "23556578965543"])
def test_invalid_gtins(code: str) -> None:
    # 23556578965543 is the CitrusAd document's example code: its check digit is wrong.
    with pytest.raises(ValueError, match="not a GTIN"):
        parse_gtin(code)


@pytest.mark.parametrize("pid", ["A1000", "a-b.c_d~e", "x" * 50])
def test_valid_commerce_ids(pid: str) -> None:
    assert parse_commerce_id(pid) == pid


@pytest.mark.parametrize("pid", ["", "x" * 51, "a/b", "a b", "é", "a%20"])
def test_invalid_commerce_ids(pid: str) -> None:
    with pytest.raises(ValueError, match="not an OMNICOMMERCE product id"):
        parse_commerce_id(pid)
