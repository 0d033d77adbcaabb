"""Splitting one multi-node attributes answer by node: the plan and the split, inline data."""

from __future__ import annotations

from gateway.node_attributes import NodeTree, plan_groups, split
from gateway.upstreams.records import Attribute, Classification, ClassificationNode

# /S: gender; /S/A: size; /S/B: size (the same key on a sibling); /S/C: fit; /S/A/X: nothing
TREE = NodeTree(
    own={
        "/S": frozenset({"gender"}),
        "/S/A": frozenset({"size"}),
        "/S/B": frozenset({"size"}),
        "/S/C": frozenset({"fit"}),
        "/S/A/X": frozenset(),
    },
    ids={"/S": 1, "/S/A": 2, "/S/B": 3, "/S/C": 4, "/S/A/X": 5},
)
GENDER, SIZE_A, FIT = Attribute("gender", id=10), Attribute("size", id=20), Attribute("fit", id=40)


def test_the_tree_is_read_from_a_classification_with_nodes() -> None:
    root = ClassificationNode(id=1, path="/", tid="S", attributes=(Attribute("gender"),))
    child = ClassificationNode(id=2, path="/S/A/", parent_id=1, attributes=(Attribute("size"),))
    tree = NodeTree.of([Classification(tid="S", nodes=(root, child))])
    assert tree.own == {"/S": {"gender"}, "/S/A": {"size"}}
    assert tree.ids == {"/S": 1, "/S/A": 2}
    assert tree.homes("/S/A", inherited=True) == {"gender": "/S", "size": "/S/A"}
    assert tree.homes("/S/A", inherited=False) == {"size": "/S/A"}


def test_nodes_share_a_call_unless_a_key_would_have_two_homes() -> None:
    assert plan_groups(TREE, ["/S/A", "/S/C", "/S/B"], True, 100) == [["/S/A", "/S/C"], ["/S/B"]]
    assert plan_groups(TREE, ["/S/A", "/S/C", "/S/B"], False, 100) == [["/S/A", "/S/C"], ["/S/B"]]


def test_a_node_never_shares_an_inherited_call_with_its_ancestor() -> None:
    assert plan_groups(TREE, ["/S/A", "/S/A/X", "/S/C"], True, 100) == [
        ["/S/A", "/S/C"],
        ["/S/A/X"],
    ]
    # Without inheritance each node gets only its own: they may share.
    assert plan_groups(TREE, ["/S/A", "/S/A/X"], False, 100) == [["/S/A", "/S/A/X"]]


def test_groups_hold_at_most_the_batch_size_and_unknown_nodes_go_alone() -> None:
    assert plan_groups(TREE, ["/S/A", "/S/C", "/S/B"], False, 1) == [["/S/A"], ["/S/C"], ["/S/B"]]
    assert plan_groups(TREE, ["/S/new", "/S/A", "/S/C"], True, 100) == [
        ["/S/new"],
        ["/S/A", "/S/C"],
    ]


def test_a_chain_attaching_one_key_twice_is_asked_alone() -> None:
    tree = NodeTree(
        own={"/S": frozenset({"size"}), "/S/A": frozenset({"size"}), "/S/C": frozenset()},
        ids={"/S": 1, "/S/A": 2, "/S/C": 4},
    )
    assert plan_groups(tree, ["/S/A", "/S/C"], True, 100) == [["/S/A"], ["/S/C"]]


def test_split_gives_each_node_the_keys_of_its_chain_in_answer_order() -> None:
    answer = [GENDER, SIZE_A, GENDER, FIT]  # an inherited attribute may come once per node
    assert split(TREE, ["/S/A", "/S/C"], True, answer) == [(GENDER, SIZE_A), (GENDER, FIT)]
    assert split(TREE, ["/S/A", "/S/C"], False, [SIZE_A, FIT]) == [(SIZE_A,), (FIT,)]


def test_split_refuses_an_answer_the_tree_cannot_place() -> None:
    # A key no node of the group owns (attached since the tree was read) ...
    assert split(TREE, ["/S/A", "/S/C"], False, [SIZE_A, FIT, Attribute("new", id=99)]) is None
    # ... or two attributes under one key.
    assert split(TREE, ["/S/A", "/S/C"], False, [SIZE_A, Attribute("size", id=30)]) is None
