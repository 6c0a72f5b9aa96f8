"""Lazy iterators over the paging styles our hosts use, one function per style.

Each takes a ``fetch`` callable that the connector writes (it makes one host call and picks the
items and the paging facts out of that host's response) and returns a :class:`PageIterator` that
yields items and fetches the next page only when the caller reaches it. So a 100,000-person HR
pull streams in constant memory, and a caller that stops early costs no further calls.

- :func:`cursor_pages`: an opaque next cursor (BambooHR ``page[after]`` / ``meta.page.nextCursor``).
- :func:`offset_pages`: ``limit``/``offset`` with a ``total`` (Workday REST).
- :func:`numbered_pages`: page numbers from 1 up to a page count (Workday SOAP ``Page`` /
  ``Total_Pages``).
- :func:`link_header_pages`: RFC 8288 ``Link: <…>; rel="next"`` response headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, NamedTuple, TypeVar
from urllib.parse import urljoin

import requests

from rm_plugin.http.errors import PagingError

T = TypeVar("T")


class _Page(NamedTuple, Generic[T]):
    items: Sequence[T]
    total: int | None


class PageIterator(Generic[T]):
    """Items from pages fetched on demand; ``pages_fetched`` counts the host calls made so far and
    ``total`` is the host's item count when its paging reports one (offset paging)."""

    def __init__(self, pages: Iterator[_Page[T]]) -> None:
        self._pages = pages
        self._items: Iterator[T] = iter(())
        self.pages_fetched = 0
        self.total: int | None = None

    def __iter__(self) -> PageIterator[T]:
        return self

    def __next__(self) -> T:
        while True:
            for item in self._items:
                return item
            self._items = iter(self._next_page())

    def pages(self) -> Iterator[Sequence[T]]:
        """Iterate page by page instead (e.g. one database batch per page); don't mix with items."""
        while True:
            try:
                yield self._next_page()
            except StopIteration:
                return

    def _next_page(self) -> Sequence[T]:
        page = next(self._pages)
        self.pages_fetched += 1
        if page.total is not None:
            self.total = page.total
        return page.items


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def cursor_pages(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]],
    *,
    host: str,
    call: str,
    first: str | None = None,
) -> PageIterator[T]:
    """Pages chained by cursors: ``fetch(cursor)`` returns ``(items, next_cursor)``.

    The first call gets ``first`` (None: from the start). A missing or empty next cursor ends the
    walk; a cursor the host already gave raises PagingError rather than looping forever.
    """

    def walk() -> Iterator[_Page[T]]:
        cursor, seen = first, {first}
        while True:
            items, next_cursor = fetch(cursor)
            yield _Page(items, None)
            if not next_cursor:
                return
            if next_cursor in seen:
                raise PagingError(
                    f"the host returned cursor {_shorten(next_cursor)!r} again after {len(seen)} pages; "
                    "stopped instead of looping forever",
                    host=host,
                    call=call,
                )
            seen.add(next_cursor)
            cursor = next_cursor

    return PageIterator(walk())


def offset_pages(
    fetch: Callable[[int, int], tuple[Sequence[T], int | None]],
    *,
    host: str,
    call: str,
    limit: int = 100,
    max_limit: int = 100,
    start: int = 0,
) -> PageIterator[T]:
    """Pages by position: ``fetch(offset, limit)`` returns ``(items, total)``.

    Stops when ``total`` items have been passed, on an empty page, or, when the host gives no
    total, on a page shorter than ``limit``. The offset advances by the items actually received,
    so a host that returns fewer than asked never makes us skip items. ``max_limit`` is the host's
    ceiling (100 for Workday REST); asking for more would silently get less, so it is refused.
    """
    if not 1 <= limit <= max_limit:
        raise ValueError(f"{host}: {call}: limit must be between 1 and {max_limit}, not {limit}")
    if start < 0:
        raise ValueError(f"{host}: {call}: start offset must not be negative, not {start}")

    def walk() -> Iterator[_Page[T]]:
        offset = start
        while True:
            items, total = fetch(offset, limit)
            yield _Page(items, total)
            offset += len(items)
            if not items:
                return
            if total is not None and offset >= total:
                return
            if total is None and len(items) < limit:
                return

    return PageIterator(walk())


def numbered_pages(
    fetch: Callable[[int], tuple[Sequence[T], int]],
    *,
    host: str,
    call: str,
    first: int = 1,
) -> PageIterator[T]:
    """Numbered pages: ``fetch(page)`` returns ``(items, total_pages)``; pages count from 1.

    Workday SOAP answers ``Response_Results/Total_Pages`` and rejects page 0. Fix
    ``As_Of_Entry_DateTime`` in the request so the page count cannot shift while walking.
    """
    if first < 1:
        raise ValueError(f"{host}: {call}: page numbers start at 1, not {first}")

    def walk() -> Iterator[_Page[T]]:
        page = first
        while True:
            items, total_pages = fetch(page)
            yield _Page(items, None)
            if page >= total_pages:
                return
            page += 1

    return PageIterator(walk())


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 Link header (rel may list several types)."""
    for match in _LINK.finditer(header or ""):
        rel = _REL.search(match.group(2))
        if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
            return match.group(1).strip()
    return None


def link_header_pages(
    fetch: Callable[[str], requests.Response],
    first_url: str,
    items: Callable[[requests.Response], Sequence[T]],
    *,
    host: str,
    call: str,
) -> PageIterator[T]:
    """Pages linked by ``Link`` headers: ``fetch(url)`` returns the response, ``items`` reads it.

    Relative next links are resolved against the page's URL. A URL already visited raises
    PagingError. Fetch through ``HttpClient`` so a next link to another host is refused.
    """

    def walk() -> Iterator[_Page[T]]:
        url, seen = first_url, {first_url}
        while True:
            response = fetch(url)
            yield _Page(items(response), None)
            target = next_link(response.headers.get("Link"))
            if not target:
                return
            target = urljoin(response.url or url, target)
            if target in seen:
                raise PagingError(
                    f"the host linked back to a page already read after {len(seen)} pages; "
                    "stopped instead of looping forever",
                    host=host,
                    call=call,
                )
            seen.add(target)
            url = target

    return PageIterator(walk())
