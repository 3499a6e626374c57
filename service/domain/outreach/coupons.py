"""Coupon codes: an uploaded pool, or generated codes that are unique and cannot be guessed.

Pure. A format is a pattern where ``X`` stands for a random character from an alphabet without
look-alikes (no 0/O, 1/I/L) and everything else is kept, e.g. ``SORRY-XXXX-XXXX``.
"""

from __future__ import annotations

import re
import secrets

from service.domain.errors import InvalidInput

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DEFAULT_FORMAT = "SORRY-XXXX-XXXX"
MIN_RANDOM_CHARS = 8  # 31**8 ≈ 8.5e11 codes: guessing one of 10,000 takes ~85 million tries
MAX_CODE_CHARS = 64
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,63}$")


class InvalidCoupons(InvalidInput):
    pass


def check_format(pattern: str) -> str:
    pattern = pattern.strip()
    random_chars = pattern.count("X")
    if random_chars < MIN_RANDOM_CHARS:
        raise InvalidCoupons(
            f"the format needs at least {MIN_RANDOM_CHARS} X (random characters) to be "
            f"unguessable; '{pattern}' has {random_chars}"
        )
    if len(pattern) > MAX_CODE_CHARS or not CODE.match(pattern.replace("X", "A")):
        raise InvalidCoupons("use letters, digits, '-' and '_' only, at most 64 characters")
    return pattern


def generate(pattern: str, count: int, taken: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """``count`` new codes in ``pattern``, distinct from each other and from ``taken``."""
    pattern = check_format(pattern)
    codes: list[str] = []
    seen = set(taken)
    while len(codes) < count:
        code = "".join(secrets.choice(ALPHABET) if ch == "X" else ch for ch in pattern)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def parse_pool(text: str) -> tuple[list[str], list[tuple[int, str]]]:
    """One code per line (a CSV's first column is fine). Returns (codes, [(line, reason)])."""
    codes: list[str] = []
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split(",")[0].strip().strip('"')
        if not code or (number == 1 and code.lower() in ("code", "coupon", "coupon code")):
            continue
        if not CODE.match(code):
            problems.append((number, "a code is 3-64 letters, digits, '-' or '_'"))
        elif code in seen:
            problems.append((number, "the same code appears earlier in the file"))
        else:
            seen.add(code)
            codes.append(code)
    return codes, problems
