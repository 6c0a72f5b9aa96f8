"""The management tree: cycle detection, and "is A in B's chain" answered in constant time.

An Euler tour numbers every person on entry (``tin``) and exit (``tout``); A manages B,
directly or not, exactly when A's interval contains B's. Building it is one pass over the
tree, so a matching run over millions of candidate pairs never walks a chain per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycles(managers: Mapping[str, str | None]) -> set[str]:
    """HR ids of everyone whose chain of managers loops back on itself (they are in the loop)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    in_cycle: set[str] = set()
    for start in managers:
        if start in state:
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in managers and node not in state:
            state[node] = 1
            path.append(node)
            node = managers.get(node)
        if node is not None and state.get(node) == 1:
            in_cycle.update(path[path.index(node) :])
        for member in path:
            state[member] = 2
    return in_cycle


class OrgIndex:
    """The organisation as a forest of management trees, indexed for ancestor queries.

    People without a manager are roots. A manager named but absent from ``managers`` is a
    broken link: the tree is indexed from there down, but everyone below it is in
    :attr:`broken`, since who is above them is not known (it is never read as "the top").
    The input must be acyclic: run :func:`find_cycles` first and leave those people out.
    """

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        cycles = find_cycles(managers)
        if cycles:
            raise ValueError(f"management cycle among: {', '.join(sorted(cycles))}")
        self.manager = {p: (m if m in managers and m != p else None) for p, m in managers.items()}
        missing = {p: m for p, m in managers.items() if m and m != p and m not in managers}
        #: person -> the absent manager their chain stops at, for everyone below a broken link
        self.broken: dict[str, str] = {}
        children: dict[str, list[str]] = {p: [] for p in managers}
        roots: list[str] = []
        for person, manager in self.manager.items():
            if manager is None:
                roots.append(person)
            else:
                children[manager].append(person)
        self.tin: dict[str, int] = {}
        self.tout: dict[str, int] = {}
        self.depth: dict[str, int] = {}
        clock = 0
        for root in sorted(roots):
            stack: list[tuple[str, int, bool]] = [(root, 0, False)]
            cut = missing.get(root)
            while stack:
                person, depth, leaving = stack.pop()
                if leaving:
                    self.tout[person] = clock
                    clock += 1
                    continue
                if cut is not None:
                    self.broken[person] = cut
                self.tin[person] = clock
                self.depth[person] = depth
                clock += 1
                stack.append((person, depth, True))
                for child in sorted(children[person], reverse=True):
                    stack.append((child, depth + 1, False))

    def __contains__(self, person: object) -> bool:
        return person in self.tin

    def is_ancestor(self, manager: str, person: str) -> bool:
        """True if ``manager`` is above ``person`` in their management chain (not the same person)."""
        if manager == person or manager not in self.tin or person not in self.tin:
            return False
        return self.tin[manager] < self.tin[person] and self.tout[person] < self.tout[manager]

    def same_chain(self, a: str, b: str) -> bool:
        """True if either manages the other, directly or through others (or they are the same)."""
        return a == b or self.is_ancestor(a, b) or self.is_ancestor(b, a)

    def chain(self, person: str) -> list[str]:
        """``person``'s managers, nearest first."""
        out: list[str] = []
        node = self.manager.get(person)
        while node is not None:
            out.append(node)
            node = self.manager.get(node)
        return out

    def members(self) -> Iterable[str]:
        return self.tin.keys()
