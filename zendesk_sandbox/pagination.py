"""Zendesk's two list pagination styles.

* offset: ``?page=2&per_page=50`` -> ``next_page`` / ``previous_page`` URLs and ``count``;
* cursor: ``?page[size]=50&page[after]=...`` -> ``meta`` {has_more, after_cursor,
  before_cursor} and ``links`` {next, prev}.

Items are sorted by ``sort_key`` (id by default); cursors are opaque base64 of the
boundary item's key.
"""

from __future__ import annotations

import base64
import bisect
import json
from urllib.parse import urlencode

from flask import request

from .common import bad_request, base_url

MAX_PAGE_SIZE = 100


def encode_cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise bad_request("The page cursor is invalid", error="InvalidPaginationParameter") from None


def _url(params: dict) -> str:
    kept = {k: v for k, v in request.args.items() if not k.startswith("page") and k != "per_page"}
    kept.update(params)
    return f"{base_url()}{request.path}?{urlencode(kept)}"


def _size(raw, default: int) -> int:
    try:
        size = int(raw) if raw is not None else default
    except ValueError:
        raise bad_request("page size must be an integer", error="InvalidPaginationParameter") from None
    return max(1, min(size, MAX_PAGE_SIZE))


def wants_cursor() -> bool:
    return any(k.startswith("page[") for k in request.args)


def paginate(
    items: list, key: str, render, sort_key=lambda item: item["id"], force_cursor: bool = False
) -> dict:
    """Render one page of ``items`` (already filtered) under ``key``; endpoints that only
    speak cursor pagination pass ``force_cursor``."""
    items = sorted(items, key=sort_key)
    if force_cursor or wants_cursor():
        return _cursor_page(items, key, render, sort_key)
    per_page = _size(request.args.get("per_page"), 100)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        raise bad_request("page must be an integer", error="InvalidPaginationParameter") from None
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    has_next = start + per_page < len(items)
    return {
        key: [render(i) for i in chunk],
        "next_page": _url({"page": page + 1, "per_page": per_page}) if has_next else None,
        "previous_page": _url({"page": page - 1, "per_page": per_page}) if page > 1 else None,
        "count": len(items),
    }


def _boundary(cursor: str):
    value = decode_cursor(cursor)
    return tuple(value) if isinstance(value, list) else value


def _cursor_page(items: list, key: str, render, sort_key) -> dict:
    size = _size(request.args.get("page[size]"), 100)
    after, before = request.args.get("page[after]"), request.args.get("page[before]")
    keys = [sort_key(i) for i in items]
    if after:
        start = bisect.bisect_right(keys, _boundary(after))
    elif before:
        start = max(0, bisect.bisect_left(keys, _boundary(before)) - size)
    else:
        start = 0
    end = min(len(items), start + size) if not before else bisect.bisect_left(keys, _boundary(before))
    chunk = items[start:end]
    has_more, has_prev = end < len(items), start > 0
    after_cursor = encode_cursor(keys[end - 1]) if chunk else None
    before_cursor = encode_cursor(keys[start]) if chunk else None
    return {
        key: [render(i) for i in chunk],
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
        "links": {
            "next": _url({"page[size]": size, "page[after]": after_cursor}) if has_more else None,
            "prev": _url({"page[size]": size, "page[before]": before_cursor}) if has_prev else None,
        },
    }
