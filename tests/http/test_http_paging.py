"""Each paging style walked to the end, lazily, with the loop guards."""

from __future__ import annotations

import itertools

import pytest
import requests
import responses

from rm_plugin.http import (
    HttpClient,
    PagingError,
    cursor_pages,
    link_header_pages,
    next_link,
    numbered_pages,
    offset_pages,
)


class CursorHost:
    """BambooHR-style list: each page names the cursor of the next one."""

    def __init__(self, pages: dict[str | None, tuple[list[int], str | None]]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []

    def __call__(self, cursor: str | None) -> tuple[list[int], str | None]:
        self.asked.append(cursor)
        return self.pages[cursor]


def test_cursor_pages_walk_to_the_end_lazily() -> None:
    host = CursorHost({None: ([1, 2], "c2"), "c2": ([3, 4], "c3"), "c3": ([5], None)})
    people = cursor_pages(host, host="bamboohr", call="GET /api/v1/employees")
    assert next(people) == 1
    assert people.pages_fetched == 1 and host.asked == [None]  # nothing fetched ahead
    assert list(people) == [2, 3, 4, 5]
    assert host.asked == [None, "c2", "c3"] and people.pages_fetched == 3


def test_cursor_pages_stop_on_an_empty_cursor() -> None:
    host = CursorHost({None: ([1], "")})
    assert list(cursor_pages(host, host="bamboohr", call="list")) == [1]


def test_a_repeated_cursor_raises_instead_of_looping_forever() -> None:
    host = CursorHost({None: ([1], "c2"), "c2": ([2], "c3"), "c3": ([3], "c2")})
    people = cursor_pages(host, host="bamboohr", call="GET /api/v1/employees")
    with pytest.raises(PagingError, match="cursor 'c2' again after 3 pages") as caught:
        list(itertools.islice(people, 50))  # bounded, so a missing guard fails instead of hanging
    assert str(caught.value).startswith("bamboohr: GET /api/v1/employees failed:")
    assert host.asked == [None, "c2", "c3"]


def test_offset_pages_advance_by_items_until_total() -> None:
    rows = list(range(7))
    asked: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> tuple[list[int], int]:
        asked.append((offset, limit))
        return rows[offset : offset + limit], len(rows)

    workers = offset_pages(fetch, host="workday", call="GET /workers", limit=3)
    assert list(workers) == rows
    assert asked == [(0, 3), (3, 3), (6, 3)]
    assert workers.total == 7 and workers.pages_fetched == 3


def test_offset_pages_without_total_stop_on_a_short_page() -> None:
    asked: list[int] = []

    def fetch(offset: int, limit: int) -> tuple[list[int], None]:
        asked.append(offset)
        return list(range(offset, min(offset + limit, 5))), None

    assert list(offset_pages(fetch, host="workday", call="GET /workers", limit=2)) == [0, 1, 2, 3, 4]
    assert asked == [0, 2, 4]


def test_offset_pages_refuse_a_limit_above_the_host_maximum() -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        offset_pages(lambda o, n: ([], 0), host="workday", call="GET /workers", limit=101)


def test_numbered_pages_start_at_one_and_read_total_pages() -> None:
    asked: list[int] = []

    def fetch(page: int) -> tuple[list[str], int]:
        asked.append(page)
        return [f"w{page}a", f"w{page}b"], 3

    workers = numbered_pages(fetch, host="workday", call="Get_Workers")
    assert list(workers) == ["w1a", "w1b", "w2a", "w2b", "w3a", "w3b"]
    assert asked == [1, 2, 3] and workers.pages_fetched == 3


def test_numbered_pages_with_no_results_fetch_once() -> None:
    asked: list[int] = []

    def fetch(page: int) -> tuple[list[str], int]:
        asked.append(page)
        return [], 0

    assert list(numbered_pages(fetch, host="workday", call="Get_Workers")) == []
    assert asked == [1]
    with pytest.raises(ValueError, match="start at 1"):
        numbered_pages(fetch, host="workday", call="Get_Workers", first=0)


def test_pages_can_be_read_page_by_page() -> None:
    host = CursorHost({None: ([1, 2], "c2"), "c2": ([3], None)})
    assert list(cursor_pages(host, host="h", call="c").pages()) == [[1, 2], [3]]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://h.example/x?page=2>; rel="next", <https://h.example/x?page=9>; rel="last"',
            "https://h.example/x?page=2",
        ),
        ('<https://h.example/x?page=9>; rel="last", </x?page=2>; title="n"; rel="prev next"', "/x?page=2"),
        ("<https://h.example/x?page=2>; rel=next", "https://h.example/x?page=2"),
        ('<https://h.example/x?page=1>; rel="prev"', None),
        (None, None),
    ],
)
def test_next_link_reads_rfc_8288_headers(header, expected) -> None:
    assert next_link(header) == expected


@responses.activate
def test_link_header_pages_follow_next_links_through_the_client(client: HttpClient) -> None:
    base = client.base_url
    responses.get(f"{base}/items", json=[1, 2], headers={"Link": '</items?page=2>; rel="next"'})
    responses.get(f"{base}/items?page=2", json=[3], headers={"Link": f'<{base}/items?page=1>; rel="first"'})
    pages = link_header_pages(
        lambda url: client.request("GET", url),
        f"{base}/items",
        requests.Response.json,
        host="h",
        call="GET /items",
    )
    assert list(pages) == [1, 2, 3] and pages.pages_fetched == 2


@responses.activate
def test_link_header_pages_refuse_to_loop(client: HttpClient) -> None:
    base = client.base_url
    responses.get(f"{base}/items", json=[1], headers={"Link": '</items?page=2>; rel="next"'})
    responses.get(f"{base}/items?page=2", json=[2], headers={"Link": '</items>; rel="next"'})
    pages = link_header_pages(
        lambda url: client.request("GET", url),
        f"{base}/items",
        requests.Response.json,
        host="h",
        call="GET /items",
    )
    with pytest.raises(PagingError, match="linked back"):
        list(pages)
