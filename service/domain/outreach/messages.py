"""An outreach message in the customer's language, with their details filled in.

Pure. Values go in as plain text; in right-to-left messages each value is wrapped in Unicode
directional isolates (FSI ... PDI), so a Latin name, an email or a coupon code inside Hebrew
text keeps its own order and does not scramble the sentence around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.domain.errors import InvalidInput
from service.domain.outreach.audience import Customer
from service.domain.text.locales import customer_locale, direction, pick_text
from service.domain.text.templates import first_name, placeholders, render

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
BUILT_IN = ("first_name", "name", "email", "incident_title", "status", "status_page_url", "coupon")
MAX_SUBJECT = 150
MAX_BODY = 20_000


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    locale: str
    direction: str
    subject: str
    body: str
    unknown: tuple[str, ...]


class InvalidMessages(InvalidInput):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


SHAPE = 'an object of languages, each {"subject": "...", "body": "..."}'


def clean_messages(raw: object) -> dict[str, Message]:
    """Per locale {subject, body}; at least one language; lengths bounded. ``raw`` comes from
    a client as it was sent, so its shape is checked too: a mapping of mappings of text."""
    if not isinstance(raw, Mapping):
        raise InvalidMessages({"messages": f"send {SHAPE}"})
    messages: dict[str, Message] = {}
    errors: dict[str, str] = {}
    for locale, parts in raw.items():
        if not isinstance(locale, str) or not isinstance(parts, Mapping):
            errors[str(locale) or "?"] = 'send {"subject": "...", "body": "..."} for each language'
            continue
        subject, body = parts.get("subject") or "", parts.get("body") or ""
        if not isinstance(subject, str) or not isinstance(body, str):
            errors[customer_locale(locale) or locale or "?"] = "the subject and the message must be text"
            continue
        subject, body = subject.strip(), body.strip()
        if "\x00" in subject or "\x00" in body:  # no database column can store it
            errors[customer_locale(locale) or locale or "?"] = "remove the NUL character (\\u0000)"
            continue
        key = customer_locale(locale)
        if not subject and not body:
            continue
        if not key:
            errors[locale or "?"] = "name a language Zendesk has (en, he, ru, ar, pt-br, ...)"
        elif not subject or not body:
            errors[key] = "write both a subject and a message"
        elif len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
            errors[key] = f"keep the subject under {MAX_SUBJECT} and the message under {MAX_BODY} characters"
        else:
            messages[key] = Message(subject, body)
    if not messages and not errors:
        errors["messages"] = "write the message in at least one language"
    if errors:
        raise InvalidMessages(errors)
    return messages


def unsendable(
    messages: Mapping[str, Message], *, with_coupons: bool, fields: Iterable[str] | None = None
) -> dict[str, str]:
    """Why these messages cannot go out, by language (empty when they can): a campaign with
    coupons whose message never shows the code (it would be assigned and never sent), or a
    placeholder that names nothing every customer has (it would reach them as written).
    ``fields`` are the audience's own columns; None while the audience is not known yet, when
    only the coupon is checked."""
    known = set(BUILT_IN) | set(fields or ())
    problems: dict[str, str] = {}
    for locale, message in messages.items():
        used = placeholders(message.subject) | placeholders(message.body)
        unknown = sorted(used - known) if fields is not None else []
        if unknown:
            problems[locale] = (
                "{{"
                + "}}, {{".join(unknown)
                + "}} names nothing: use "
                + ", ".join("{{" + name + "}}" for name in sorted(known))
            )
        elif with_coupons and "coupon" not in used:
            problems[locale] = (
                "the message never shows the coupon: add {{coupon}}, or choose no coupons, "
                "so that no code is assigned without being sent"
            )
    return problems


def values_for(
    customer: Customer, *, incident_title: str, status: str, status_page_url: str, coupon: str | None
) -> dict[str, str]:
    values = dict(customer.fields)
    values.update(
        first_name=first_name(customer.name) or customer.name,
        name=customer.name,
        email=customer.email,
        incident_title=incident_title,
        status=status,
        status_page_url=status_page_url,
    )
    if coupon:
        values["coupon"] = coupon
    return values


def _isolated(values: Mapping[str, str]) -> dict[str, str]:
    return {k: f"{FIRST_STRONG_ISOLATE}{v}{POP_DIRECTIONAL_ISOLATE}" for k, v in values.items()}


def render_for(
    messages: Mapping[str, Message],
    customer: Customer,
    *,
    default_locale: str,
    incident_title: str,
    status_texts: Mapping[str, str],
    status_page_url: str,
    coupon: str | None,
) -> Rendered:
    """The message in the customer's language (else the default, else English, else any), and
    its ``{{status}}`` in the message's own language where the status has one."""
    locale, _ = pick_text({k: m.body for k, m in messages.items()}, customer.locale, default_locale)
    message = messages[locale]
    values = values_for(
        customer, incident_title=incident_title, status="", status_page_url=status_page_url, coupon=coupon
    )
    if direction(locale) == "rtl":
        values = _isolated(values)
    if status_texts and any(v.strip() for v in status_texts.values()):  # its own {{first_name}} filled in too
        values["status"] = render(pick_text(status_texts, locale, default_locale)[1], values)
    subject = render(message.subject, values).replace("\n", " ")
    body = render(message.body, values)
    unknown = tuple(sorted(placeholders(subject) | placeholders(body)))
    return Rendered(locale, direction(locale), subject, body, unknown)


def sample_customers(customers: list[Customer], locales: list[str], per_locale: int = 2) -> list[Customer]:
    """A few customers of each message language, for the preview; made-up ones where none exist."""
    samples = []
    for locale in locales:
        matching = [c for c in customers if customer_locale(c.locale) == locale][:per_locale]
        samples.extend(
            matching
            or [Customer(email=f"sample.{locale}@example.com", name="Sample Customer", locale=locale)]
        )
    return samples
