from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from rm_plugin.domain.orgtree import OrgIndex, find_cycles


def test_cycles_are_found_and_only_their_members_named() -> None:
    managers = {"a": None, "b": "a", "c": "d", "d": "e", "e": "c", "f": "c"}
    assert find_cycles(managers) == {"c", "d", "e"}


def test_self_management_is_a_cycle() -> None:
    assert find_cycles({"a": "a", "b": None}) == {"a"}


def test_ancestors_in_both_directions() -> None:
    index = OrgIndex({"ceo": None, "cto": "ceo", "dev": "cto", "cfo": "ceo", "acct": "cfo"})
    assert index.is_ancestor("ceo", "dev")
    assert index.is_ancestor("cto", "dev")
    assert not index.is_ancestor("dev", "cto")
    assert not index.is_ancestor("cfo", "dev")
    assert index.same_chain("dev", "ceo") and index.same_chain("ceo", "dev")
    assert not index.same_chain("dev", "acct")
    assert index.chain("dev") == ["cto", "ceo"]


def test_an_unknown_manager_is_a_broken_link_for_everyone_below_it() -> None:
    index = OrgIndex({"a": "ghost", "b": "a", "c": None})
    assert index.is_ancestor("a", "b")
    assert index.chain("a") == []
    assert index.broken == {"a": "ghost", "b": "ghost"}  # "c" is a real top


@st.composite
def forests(draw: st.DrawFn) -> dict[str, str | None]:
    n = draw(st.integers(min_value=1, max_value=60))
    seed = draw(st.integers(min_value=0, max_value=10_000))
    rng = random.Random(seed)
    managers: dict[str, str | None] = {"p0": None}
    for i in range(1, n):
        managers[f"p{i}"] = None if rng.random() < 0.1 else f"p{rng.randrange(i)}"
    return managers


def _walk_is_ancestor(managers: dict[str, str | None], a: str, b: str) -> bool:
    node = managers.get(b)
    while node is not None:
        if node == a:
            return True
        node = managers.get(node)
    return False


@given(forests())
def test_index_agrees_with_walking_the_chain(managers: dict[str, str | None]) -> None:
    index = OrgIndex(managers)
    for a in managers:
        for b in managers:
            assert index.is_ancestor(a, b) == _walk_is_ancestor(managers, a, b)
