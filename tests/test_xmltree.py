from __future__ import annotations

import pytest

from tests.xmltree import assert_xml_equal


def test_equal_despite_whitespace_and_attribute_order() -> None:
    assert_xml_equal(
        '<a xmlns="urn:x"><b k="1" j="2"> t </b></a>',
        '<a xmlns="urn:x">\n  <b j="2" k="1">t</b>\n</a>',
    )


@pytest.mark.parametrize(
    "other",
    [
        '<a xmlns="urn:y"><b j="2" k="1">t</b></a>',
        '<a xmlns="urn:x"><b j="2">t</b></a>',
        '<a xmlns="urn:x"><b j="2" k="1">u</b></a>',
        '<a xmlns="urn:x"><b j="2" k="1">t</b><c/></a>',
    ],
)
def test_differences_are_reported(other: str) -> None:
    with pytest.raises(AssertionError):
        assert_xml_equal(other, '<a xmlns="urn:x"><b j="2" k="1">t</b></a>')
