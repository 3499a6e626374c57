"""Who a campaign reaches: parse an uploaded CSV, merge helpdesk search results, remove duplicates.

Pure: text and plain records in, an ``Audience`` out. Every row that is not used is accounted
for: invalid rows with their line and reason, duplicates with the line they repeat.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from service.domain.errors import InvalidInput
from service.domain.phrases import sentence

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_RECIPIENTS = 50_000
MAX_FIELD_CHARS = 500

FILE_TOO_LARGE = sentence("audience.too_large", "the file is {size} KB; the limit is {limit} KB")
NOT_UTF8 = sentence(
    "audience.not_utf8", "the file is not UTF-8 text; save it as 'CSV UTF-8' and upload again"
)
NUL_CHARACTERS = sentence(
    "audience.nul", "the file contains NUL characters; is it a spreadsheet rather than CSV?"
)
EMPTY_FILE = sentence(
    "audience.empty", "the file is empty; the first line must name the columns (email, name, locale, ...)"
)
NO_EMAIL_COLUMN = sentence("audience.no_email_column", "no 'email' column in the first line; found: {found}")
TOO_MANY_ROWS = sentence(
    "audience.too_many_rows", "more than {limit} rows; split the audience into several campaigns"
)
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
COLUMN_ALIASES = {
    "email": ("email", "e-mail", "email address", "mail"),
    "name": ("name", "full name", "customer", "customer name"),
    "locale": ("locale", "language", "lang"),
    "external_id": ("external id", "external_id", "customer id", "id"),
}
PLACEHOLDER_NAME = re.compile(r"[^a-z0-9_]+")
VIP_WORDS = frozenset({"1", "yes", "true", "y", "x", "vip"})


class AudienceError(InvalidInput):
    """The upload as a whole cannot be used (no email column, too large, not text)."""


@dataclass(frozen=True)
class Customer:
    email: str
    name: str = ""
    locale: str = ""
    external_ref: str = ""
    helpdesk_user_id: int | None = None
    tags: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    source: str = "csv"
    line: int | None = None

    @property
    def key(self) -> str:
        return customer_key(self.email)


@dataclass(frozen=True)
class Rejected:
    line: int | None
    reason: str
    value: str = ""


@dataclass
class Audience:
    customers: list[Customer] = field(default_factory=list)
    invalid: list[Rejected] = field(default_factory=list)
    duplicates: list[Rejected] = field(default_factory=list)


def is_vip(customer: Customer, vip_tag: str) -> bool:
    """Tagged as VIP in the helpdesk, or marked in a ``vip`` column of the CSV."""
    if vip_tag and vip_tag in customer.tags:
        return True
    return dict(customer.fields).get("vip", "").strip().lower() in VIP_WORDS


def customer_key(email: str) -> str:
    """One customer, however the address was typed."""
    return email.strip().lower()


def placeholder_name(column: str) -> str:
    return PLACEHOLDER_NAME.sub("_", column.strip().lower()).strip("_")


def _columns(header: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    known: dict[str, int] = {}
    extra: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        role = next((r for r, names in COLUMN_ALIASES.items() if name in names), None)
        if role and role not in known:
            known[role] = index
        elif placeholder_name(raw):
            extra[placeholder_name(raw)] = index
    return known, extra


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_CSV_BYTES:
        raise AudienceError(FILE_TOO_LARGE(size=len(data) // 1024, limit=MAX_CSV_BYTES // 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AudienceError(NOT_UTF8()) from None


def parse_csv(data: bytes | str) -> Audience:
    text = _decode(data)
    if "\x00" in text:
        raise AudienceError(NUL_CHARACTERS())
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, None)
    if not header:
        raise AudienceError(EMPTY_FILE())
    known, extra = _columns(header)
    if "email" not in known:
        raise AudienceError(NO_EMAIL_COLUMN(found=", ".join(h.strip() for h in header)))
    customers: list[Customer] = []
    invalid: list[Rejected] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(customers) + len(invalid) >= MAX_RECIPIENTS:
            raise AudienceError(TOO_MANY_ROWS(limit=MAX_RECIPIENTS))
        values = {role: row[i].strip() for role, i in known.items() if i < len(row)}
        email = values.get("email", "")
        if not email:
            invalid.append(Rejected(line, "no email address"))
            continue
        if not EMAIL.match(email) or len(email) > 254:
            invalid.append(Rejected(line, "not an email address", email[:100]))
            continue
        too_long = [name for name, i in extra.items() if i < len(row) and len(row[i]) > MAX_FIELD_CHARS]
        if too_long or len(values.get("name", "")) > MAX_FIELD_CHARS:
            invalid.append(Rejected(line, f"a value is longer than {MAX_FIELD_CHARS} characters", email))
            continue
        fields = tuple((name, row[i].strip()) for name, i in extra.items() if i < len(row))
        customers.append(
            Customer(
                email=email,
                name=values.get("name", ""),
                locale=values.get("locale", ""),
                external_ref=values.get("external_id", ""),
                fields=fields,
                line=line,
            )
        )
    return dedupe(customers, invalid)


def dedupe(customers: list[Customer], invalid: list[Rejected] | None = None) -> Audience:
    """Keep each customer's first appearance; CSV rows win over search results (they carry more)."""
    seen: dict[str, Customer] = {}
    duplicates = []
    for customer in customers:
        first = seen.get(customer.key)
        if first is None:
            seen[customer.key] = customer
            continue
        where = f"line {first.line}" if first.line else "the helpdesk search"
        duplicates.append(Rejected(customer.line, f"same customer as {where}", customer.email))
        if first.helpdesk_user_id is None and customer.helpdesk_user_id is not None:
            seen[customer.key] = _with_user(first, customer)
    return Audience(customers=list(seen.values()), invalid=list(invalid or []), duplicates=duplicates)


def _with_user(first: Customer, other: Customer) -> Customer:
    return Customer(
        email=first.email,
        name=first.name or other.name,
        locale=first.locale or other.locale,
        external_ref=first.external_ref,
        helpdesk_user_id=other.helpdesk_user_id,
        tags=other.tags,
        fields=first.fields,
        source=first.source,
        line=first.line,
    )


def combine(csv_audience: Audience | None, searched: list[Customer]) -> Audience:
    """The CSV's customers first, then the search's; duplicates across both removed."""
    base = csv_audience or Audience()
    merged = dedupe(base.customers + searched, base.invalid)
    merged.duplicates = base.duplicates + merged.duplicates
    return merged
