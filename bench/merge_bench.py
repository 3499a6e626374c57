"""Near-duplicate detection for merging: recall, precision and candidate lookup time.

Run: ``.venv/bin/python -m bench.merge_bench`` (``--quick`` indexes 10,000 tickets instead of
100,000).

A labelled set is generated: open tickets in English, Hebrew and Bulgarian, each a greeting, three
sentences drawn from a topic's pool with their slots filled (order numbers, products, amounts,
days, cities), eight to fourteen words of the customer's own (drawn from the language's
vocabulary, so two customers do not write the same message) and a sign-off. Every ticket is
indexed (``duplicates.BandIndex``: MinHash sketch and LSH band keys, the method the merge stage
uses). Then queries are looked up:

- duplicates of an indexed ticket, written like customers resend: up to three typos (a letter
  dropped, doubled or swapped), a different greeting, the earlier message quoted under a reply
  header, a signature or "sent from my phone" line, changed case and punctuation;
- new tickets that are not duplicates: same languages and topics; half of them are hard cases
  that repeat an indexed ticket's whole message word for word about another order, amount or
  error code or size (a message with no number of its own would be the same message, so those
  are not drawn as negatives).

A query's answer is the most similar indexed ticket at or above the threshold. Precision is the
share of answers that are the query's true original; recall is the share of duplicates answered
with their original. Lookup time is per query: sketching the query's text plus the band lookup
and verification against 100,000 indexed tickets, in memory and with the merge stage's own query
on a migrated SQLite database holding the same band keys.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta

from service.domain.merging.duplicates import BandIndex, Fingerprint

THRESHOLD = 0.7
SWEEP = (0.4, 0.5, 0.6, 0.7, 0.8)
TARGET_RECALL, TARGET_PRECISION, TARGET_P99_MS = 0.95, 0.99, 5.0

GREETINGS = {
    "en": ["Hello", "Hi", "Hi there", "Good morning", "Dear support"],
    "he": ["שלום", "היי", "בוקר טוב", "שלום רב", "לצוות התמיכה"],
    "bg": ["Здравейте", "Здрасти", "Добро утро", "Уважаеми екип", "Добър ден"],
}
SIGNOFFS = {
    "en": ["Thanks,\n{name}", "Best regards,\n{name}", "--\n{name}\n{city}", "Sent from my iPhone"],
    "he": ["תודה,\n{name}", "בברכה,\n{name}", "--\n{name}\n{city}", "נשלח מה-iPhone שלי"],
    "bg": ["Благодаря,\n{name}", "С уважение,\n{name}", "--\n{name}\n{city}", "Изпратено от моя телефон"],
}
REPLY_HEADERS = {
    "en": "On {day}, {name} wrote:",
    "he": "ביום {day}, {name} כתב:",
    "bg": "На {day}, {name} написа:",
}
NAMES = {
    "en": ["Dana", "Mark", "Olivia", "Sam", "Priya"],
    "he": ["נועה", "אורי", "מיכל", "יוסי", "שירה"],
    "bg": ["Иван", "Мария", "Георги", "Елена", "Петър"],
}
CITIES = ["Sofia", "Tel Aviv", "London", "Plovdiv", "Haifa", "Leeds", "Varna", "Eilat"]
PRODUCTS = {
    "en": [
        "running shoes",
        "tennis racket",
        "bike helmet",
        "yoga mat",
        "ski jacket",
        "football",
        "swim goggles",
        "hiking boots",
    ],
    "he": [
        "נעלי ריצה",
        "מחבט טניס",
        "קסדת אופניים",
        "מזרן יוגה",
        "מעיל סקי",
        "כדורגל",
        "משקפת שחייה",
        "נעלי הליכה",
    ],
    "bg": [
        "маратонки",
        "тенис ракета",
        "каска за колело",
        "постелка за йога",
        "ски яке",
        "футболна топка",
        "очила за плуване",
        "туристически обувки",
    ],
}
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "he": ["שני", "שלישי", "רביעי", "חמישי", "שישי"],
    "bg": ["понеделник", "вторник", "сряда", "четвъртък", "петък"],
}
TOPICS = {
    "en": [
        [
            "My order {order} with the {product} has not arrived yet.",
            "Tracking says in transit since {day}.",
            "I paid {amount} for express delivery to {city}.",
            "Nobody answered my call about order {order}.",
            "Can you tell me where the parcel is?",
            "I need the {product} before {day} for a competition.",
            "The courier claims he came but nobody rang the bell.",
            "Please refund the {amount} shipping fee.",
        ],
        [
            "The checkout fails when I pay {amount} for the {product}.",
            "I got error {code} three times.",
            "My card was charged {amount} but there is no order.",
            "I tried another browser on {day}, same result.",
            "The payment page just spins and times out.",
            "Please check whether order {order} went through.",
            "I do not want to be charged twice for the {product}.",
            "Is the site down in {city}?",
        ],
        [
            "I received the {product} in the wrong size.",
            "I ordered size {size} but got size {other_size}.",
            "Order {order} arrived on {day} with a torn box.",
            "How do I return the {product} for free?",
            "I want an exchange, not a refund of {amount}.",
            "The label inside says something else than the box.",
            "Can a courier pick it up in {city}?",
            "My son needs the {product} for school on {day}.",
        ],
    ],
    "he": [
        [
            "ההזמנה שלי {order} עם {product} עדיין לא הגיעה.",
            "המעקב מראה שהחבילה בדרך מאז יום {day}.",
            "שילמתי {amount} על משלוח מהיר ל{city}.",
            "אף אחד לא ענה לשיחה שלי לגבי הזמנה {order}.",
            "אפשר לדעת איפה החבילה?",
            "אני צריך את {product} לפני יום {day} לתחרות.",
            "השליח טוען שהגיע אבל אף אחד לא צלצל בפעמון.",
            "בבקשה החזירו לי את דמי המשלוח {amount}.",
        ],
        [
            "התשלום באתר נכשל כשאני משלם {amount} על {product}.",
            "קיבלתי שגיאה {code} שלוש פעמים.",
            "הכרטיס שלי חויב ב{amount} אבל אין הזמנה.",
            "ניסיתי דפדפן אחר ביום {day}, אותה תוצאה.",
            "דף התשלום פשוט נתקע ולא נטען.",
            "בדקו בבקשה אם הזמנה {order} עברה.",
            "אני לא רוצה לשלם פעמיים על {product}.",
            "האתר לא עובד ב{city}?",
        ],
        [
            "קיבלתי את {product} במידה הלא נכונה.",
            "הזמנתי מידה {size} וקיבלתי מידה {other_size}.",
            "הזמנה {order} הגיעה ביום {day} עם קופסה קרועה.",
            "איך מחזירים את {product} בחינם?",
            "אני רוצה החלפה ולא החזר של {amount}.",
            "התווית בפנים שונה ממה שכתוב על הקופסה.",
            "אפשר ששליח יאסוף את זה ב{city}?",
            "הבן שלי צריך את {product} לבית הספר ביום {day}.",
        ],
    ],
    "bg": [
        [
            "Поръчката ми {order} с {product} още не е пристигнала.",
            "Проследяването показва в транзит от {day}.",
            "Платих {amount} за експресна доставка до {city}.",
            "Никой не отговори на обаждането ми за поръчка {order}.",
            "Можете ли да ми кажете къде е пратката?",
            "Трябват ми {product} преди {day} за състезание.",
            "Куриерът твърди, че е идвал, но никой не е звънял.",
            "Моля, върнете ми {amount} за доставката.",
        ],
        [
            "Плащането на сайта не минава, когато плащам {amount} за {product}.",
            "Получих грешка {code} три пъти.",
            "Картата ми е таксувана {amount}, но поръчка няма.",
            "Опитах с друг браузър в {day}, същото.",
            "Страницата за плащане просто зарежда безкрайно.",
            "Моля, проверете дали поръчка {order} е минала.",
            "Не искам да платя два пъти за {product}.",
            "Сайтът не работи ли в {city}?",
        ],
        [
            "Получих {product} в грешен размер.",
            "Поръчах размер {size}, а получих размер {other_size}.",
            "Поръчка {order} пристигна в {day} със скъсана кутия.",
            "Как да върна {product} безплатно?",
            "Искам замяна, а не възстановяване на {amount}.",
            "Етикетът вътре е различен от този на кутията.",
            "Може ли куриер да го вземе от {city}?",
            "Синът ми има нужда от {product} за училище в {day}.",
        ],
    ],
}


VOCABULARY = {
    lang: sorted(
        {
            w
            for topic in topics
            for sentence in topic
            for w in re.findall(r"\w+", sentence)
            if not w.isdigit()
            and w not in {"order", "product", "amount", "day", "city", "code", "size", "other_size", "name"}
        }
    )
    for lang, topics in TOPICS.items()
}


def _own_words(rng: random.Random, lang: str) -> str:
    """The part of a message no other customer writes the same way: eight to fourteen words."""
    words = [rng.choice(VOCABULARY[lang]) for _ in range(rng.randint(8, 14))]
    return " ".join(words).capitalize() + "."


def _slots(rng: random.Random, lang: str) -> dict:
    size = rng.randint(34, 46)
    return {
        "order": f"#{rng.randint(100000, 999999)}",
        "product": rng.choice(PRODUCTS[lang]),
        "amount": f"{rng.randint(15, 400)}.{rng.randint(0, 99):02d}",
        "day": rng.choice(DAYS[lang]),
        "city": rng.choice(CITIES),
        "code": rng.randint(400, 599),
        "size": size,
        "other_size": size + 1,
        "name": rng.choice(NAMES[lang]),
    }


def ticket(
    rng: random.Random, lang: str | None = None, sentences: list[str] | None = None
) -> tuple[str, dict]:
    """A message: greeting, three sentences of a topic (slots filled) around the customer's own
    words, sign-off. Given ``sentences`` (with their own words last), only the slots change."""
    lang = lang or rng.choice(list(TOPICS))
    slots = _slots(rng, lang)
    chosen = sentences or [*rng.sample(rng.choice(TOPICS[lang]), 3), _own_words(rng, lang)]
    body = " ".join(s.format(**slots) for s in chosen)
    text = f"{rng.choice(GREETINGS[lang])},\n{body}\n\n{rng.choice(SIGNOFFS[lang]).format(**slots)}"
    return text, {"lang": lang, "sentences": chosen, "slots": slots, "body": body}


def _typo(rng: random.Random, text: str) -> str:
    """A letter dropped, doubled or swapped with the one before (numbers are left as written)."""
    at = rng.randrange(1, len(text) - 1)
    while not (text[at].isalpha() and text[at - 1].isalpha()):
        at = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:at] + text[at + 1 :]
    if kind == 1:
        return text[:at] + text[at] + text[at:]
    return text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]


def duplicate(rng: random.Random, original: str, meta: dict) -> str:
    """The same message sent again, the way customers resend."""
    lang, slots = meta["lang"], meta["slots"]
    body = meta["body"]
    for _ in range(rng.randint(0, 3)):
        body = _typo(rng, body)
    if rng.random() < 0.3:
        body = body.lower().replace(". ", " ").rstrip(".")
    text = f"{rng.choice(GREETINGS[lang])}\n{body}"
    if rng.random() < 0.5:
        text += "\n\n" + rng.choice(SIGNOFFS[lang]).format(**slots)
    if rng.random() < 0.5:
        quoted = "\n".join("> " + line for line in original.splitlines())
        text += "\n\n" + REPLY_HEADERS[lang].format(**slots) + "\n" + quoted
    return text


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def database_lookup(fingerprints: list[Fingerprint], queries: list[str], rng: random.Random) -> list[float]:
    """The merge stage's own candidate query (``store.candidates_for``, one ticket at a time) against the same tickets
    in a migrated SQLite file: one ``merge_index`` row and 21 ``merge_bands`` rows per ticket."""
    from sqlalchemy import insert

    from service.db import Database
    from service.merging import store
    from service.merging.models import MergeBand, MergeIndexEntry
    from service.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/merge-bench.db"
        upgrade(url)
        db = Database(url)
        now = datetime.now(UTC)
        with db.engine.begin() as connection:
            connection.execute(
                insert(MergeIndexEntry),
                [
                    {
                        "ticket_id": n,
                        "requester_id": rng.randrange(1, 60_000),
                        "organization_id": None,
                        "incident_id": None,
                        "ticket_created_at": now - timedelta(minutes=rng.randrange(0, 600)),
                        "indexed_at": now,
                    }
                    for n in range(len(fingerprints))
                ],
            )
            rows = sorted(
                (key, n) for n, f in enumerate(fingerprints) for key in set(f.bands)
            )  # B-tree order
            connection.exec_driver_sql(
                f"INSERT INTO {MergeBand.__tablename__} (band_key, ticket_id) VALUES (?, ?)", rows
            )
        timings = []
        with db.transaction() as session:
            for text in queries:
                began = time.perf_counter()
                store.candidates_for(
                    session,
                    [
                        store.Indexed(
                            ticket_id=-1,
                            requester_id=1,
                            organization_id=None,
                            incident_id=None,
                            created_at=now,
                            fingerprint=Fingerprint.of(text),
                            since=now - timedelta(hours=24),
                        )
                    ],
                )
                timings.append((time.perf_counter() - began) * 1000)
        db.dispose()
    return timings


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merge_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="index 10,000 tickets instead of 100,000")
    parser.add_argument("--queries", type=int, default=2000, help="duplicate and non-duplicate queries, each")
    args = parser.parse_args(argv)
    open_tickets = 10_000 if args.quick else 100_000
    rng = random.Random(20261122)

    started = time.perf_counter()
    index, originals, fingerprints = BandIndex(), [], []
    for ticket_id in range(open_tickets):
        text, meta = ticket(rng)
        originals.append((text, meta))
        fingerprints.append(Fingerprint.of(text))
        index.add(ticket_id, fingerprints[-1])
    print(f"indexed {open_tickets:,} open tickets (en/he/bg) in {time.perf_counter() - started:.1f} s")

    queries: list[tuple[str, int | None]] = []
    for _ in range(args.queries):
        source = rng.randrange(open_tickets)
        queries.append((duplicate(rng, *originals[source]), source))
    while len(queries) < 2 * args.queries:
        if rng.random() < 0.5:  # an indexed ticket's sentences about another order, amount or error
            _, source = originals[rng.randrange(open_tickets)]
            text, meta = ticket(rng, source["lang"], source["sentences"])
            if not _numbers(meta["body"]) or _numbers(meta["body"]) & _numbers(source["body"]):
                continue  # no detail of its own: it would be the same message, not a hard negative
            queries.append((text, None))
        else:
            queries.append((ticket(rng)[0], None))

    lowest = min(SWEEP + (THRESHOLD,))
    answers, timings = [], []
    for text, _ in queries:
        began = time.perf_counter()
        found = index.best(Fingerprint.of(text), lowest)
        timings.append((time.perf_counter() - began) * 1000)
        answers.append(found)

    def score(threshold: float) -> tuple[float, float]:
        true_positive = false_positive = 0
        for (_, truth), (found, similarity) in zip(queries, answers, strict=False):
            if found is None or similarity < threshold:
                continue
            if found == truth:
                true_positive += 1
            else:
                false_positive += 1
        duplicates = sum(truth is not None for _, truth in queries)
        answered = true_positive + false_positive
        return true_positive / duplicates, (true_positive / answered if answered else 1.0)

    print(
        f"{len(queries):,} queries: {args.queries:,} duplicates, {args.queries:,} new tickets "
        f"(half of them an indexed ticket's sentences about other orders/amounts)"
    )
    print("threshold  recall  precision")
    for threshold in sorted(set(SWEEP + (THRESHOLD,))):
        recall, precision = score(threshold)
        mark = "  <- chosen (MergeRules default)" if threshold == THRESHOLD else ""
        print(f"{threshold:9.2f}  {recall:6.3f}  {precision:9.4f}{mark}")
    recall, precision = score(THRESHOLD)
    lookup_p99 = p99(timings)
    print(
        f"candidate lookup against {open_tickets:,}, in memory: median {sorted(timings)[len(timings) // 2]:.2f} ms, "
        f"p99 {lookup_p99:.2f} ms (sketching the query and verifying candidates included)"
    )
    loading = time.perf_counter()
    stored = database_lookup(fingerprints, [text for text, _ in queries[::4]], rng)
    stored_p99 = p99(stored)
    print(
        f"candidate lookup against {open_tickets:,}, the stage's SQLite query: median "
        f"{sorted(stored)[len(stored) // 2]:.2f} ms, p99 {stored_p99:.2f} ms over {len(stored):,} queries "
        f"(sketching included; loading the table took {time.perf_counter() - loading:.0f} s)"
    )
    met = (
        recall >= TARGET_RECALL
        and precision >= TARGET_PRECISION
        and lookup_p99 < TARGET_P99_MS
        and stored_p99 < TARGET_P99_MS
    )
    print(
        f"targets (recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}, p99 < {TARGET_P99_MS} ms): "
        f"{'met' if met else 'MISSED'}; total {time.perf_counter() - started:.0f} s"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
