"""`deployments.listing`: the one pager over Prefect's listings reads everything, once each."""

from __future__ import annotations

from contextlib import aclosing

from deployments.listing import every_item, pages


def _listing(total: int, asked: list[tuple[int, int]]):
    items = list(range(total))

    async def fetch(limit: int, offset: int) -> list[int]:
        asked.append((limit, offset))
        return items[offset : offset + limit]

    return fetch


async def test_every_item_reads_each_page_once_until_a_short_page():
    asked: list[tuple[int, int]] = []
    assert await every_item(_listing(450, asked), page_size=200) == list(range(450))
    assert asked == [(200, 0), (200, 200), (200, 400)]


async def test_an_exact_multiple_ends_with_one_empty_page():
    asked: list[tuple[int, int]] = []
    assert await every_item(_listing(400, asked), page_size=200) == list(range(400))
    assert asked == [(200, 0), (200, 200), (200, 400)]


async def test_stopping_early_fetches_no_further_page_and_max_items_caps_the_reads():
    asked: list[tuple[int, int]] = []
    async with aclosing(pages(_listing(1000, asked), page_size=100)) as listing:
        async for page in listing:
            if 150 in page:
                break
    assert asked == [(100, 0), (100, 100)]

    asked.clear()
    read = [p async for p in pages(_listing(1000, asked), page_size=100, max_items=300)]
    assert sum(len(p) for p in read) == 300 and len(asked) == 3
