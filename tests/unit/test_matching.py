"""Phrase matching in English, Hebrew and Bulgarian: what links a ticket to an incident, and why."""

import random

import pytest

from service.domain.linking.matching import PhraseHit, PhraseMatcher, PhraseRule, stem
from service.domain.text.normalise import match_form

CHECKOUT, DELIVERY, PAYMENT_PAGE = 1, 2, 3

RULES = [
    PhraseRule(CHECKOUT, "checkout fails"),
    PhraseRule(CHECKOUT, "can't pay"),
    PhraseRule(CHECKOUT, "תשלום באתר"),
    PhraseRule(CHECKOUT, "תשלום לא עובד"),
    PhraseRule(CHECKOUT, "плащане"),
    PhraseRule(CHECKOUT, "сайта не работи"),
    PhraseRule(CHECKOUT, "test ticket", exclude=True),
    PhraseRule(DELIVERY, "delivery late"),
    PhraseRule(DELIVERY, "משלוח"),
    PhraseRule(DELIVERY, "доставка"),
    PhraseRule(DELIVERY, "refund", exclude=True),
    PhraseRule(PAYMENT_PAGE, "payment page"),
]
matcher = PhraseMatcher(RULES)


def hits(text):
    return {incident: (hit.phrases, hit.excerpts) for incident, hit in matcher.match(text).items()}


@pytest.mark.parametrize(
    "text, phrase, excerpt",
    [
        ("Checkout fails with error 500", "checkout fails", "Checkout fails"),
        ("I can't pay on your site", "can't pay", "can't pay"),
        ("I can’t pay on your site", "can't pay", "can’t pay"),
        ("i CANT PAY!!!", "can't pay", "CANT PAY"),
        ("the checkout... FAILS, again", "checkout fails", "checkout... FAILS"),
        ("Checkout\n\n  fails", "checkout fails", "Checkout\n\n  fails"),
        ("Checkout failses", "checkout fails", "Checkout failses"),  # last word may continue
        ("😡😡checkout😡fails", "checkout fails", "checkout😡fails"),
        ("התשלום באתר לא עובד", "תשלום באתר", "התשלום באתר"),
        ("הַתַּשְׁלוּם בָּאֲתָר לא עובד", "תשלום באתר", "הַתַּשְׁלוּם בָּאֲתָר"),  # niqqud
        ("\u200fהתשלום\u200f באתר\u200f נכשל", "תשלום באתר", "התשלום\u200f באתר"),  # RTL marks
        ("ובתשלום באתר יש בעיה", "תשלום באתר", "ובתשלום באתר"),  # two prefixes
        ("כשהתשלום שלא עובדים", "תשלום לא עובד", "כשהתשלום שלא עובדים"),  # prefixes on every word
        ("плащането с карта е невъзможно", "плащане", "плащането"),
        ("ПЛАЩАНЕТО НЕ МИНАВА", "плащане", "ПЛАЩАНЕТО"),
        ("Днес сайта не работи.", "сайта не работи", "сайта не работи"),
        ("плащанетo е блокирано", "плащане", "плащанетo"),  # Latin o typed in
        ("My checkouts fail", "checkout fails", "checkouts fail"),  # inflected words of a phrase
    ],
)
def test_sentences_that_link_to_the_checkout_incident(text, phrase, excerpt):
    assert hits(text) == {CHECKOUT: ((phrase,), (excerpt,))}


@pytest.mark.parametrize(
    "text",
    [
        "Checkout works fine, thank you",  # first word alone is not the phrase
        "My checkout feels slow",  # the phrase's words, but not the phrase
        "I can pay on your site",  # no "can't"
        "The canteen pays well",  # words must start where the phrase's do
        "Can you tell me why it fails at checkout?",  # words in another order
        "אתר התשלום",  # Hebrew words in another order
        "אתשלום באתר",  # א is not a prefix letter
        "וכשהתשלום באתר",  # four prefix letters is too many
        "заплащане на сметка",  # "плащане" inside a word, not at its start
        "Купих си плащ",  # a shorter word than the phrase
        "",
        "   \n ",
        "😡😡😡",
    ],
)
def test_near_misses_link_to_nothing(text):
    assert matcher.match(text) == {}


def test_an_exclusion_drops_only_its_own_incident():
    text = "Delivery late and the checkout fails. This is a test ticket."
    assert hits(text) == {DELIVERY: (("delivery late",), ("Delivery late",))}
    assert set(hits("Delivery late, I want a refund; checkout fails")) == {CHECKOUT}


def test_exclusions_follow_the_same_folding_as_phrases():
    assert matcher.match("Checkout fails — TEST-TICKET please ignore") == {}
    assert set(hits("המשלוח לא הגיע, מבקש REFUND")) == set()
    assert set(hits("המשלוח לא הגיע")) == {DELIVERY}


def test_the_bulgarian_sentence_of_the_demo_names_both_phrases_it_contains():
    assert hits("плащането на сайта не работи") == {
        CHECKOUT: (("плащане", "сайта не работи"), ("плащането", "сайта не работи"))
    }


def test_several_incidents_in_one_multilingual_text():
    text = "Hi! Checkout fails. Also my delivery late. ההזמנה: תשלום באתר נכשל, доставката закъснява."
    assert hits(text) == {
        CHECKOUT: (("checkout fails", "תשלום באתר"), ("Checkout fails", "תשלום באתר")),
        DELIVERY: (("delivery late", "доставка"), ("delivery late", "доставката")),
    }


def test_phrases_are_listed_in_rule_order_once_with_their_first_occurrence():
    rules = [
        PhraseRule(7, "payment"),
        PhraseRule(7, "checkout"),
        PhraseRule(7, "payment"),
        PhraseRule(8, "checkout page"),
    ]
    text = "Checkout page broken. PAYMENTS fail, payment again, checkout again"
    result = PhraseMatcher(rules).match(text)
    assert result[7] == PhraseHit(7, ("payment", "checkout"), ("PAYMENTS", "Checkout"))
    assert result[8] == PhraseHit(8, ("checkout page",), ("Checkout page",))


def test_overlapping_phrases_of_one_and_several_incidents_all_match():
    rules = [
        PhraseRule(1, "payment"),
        PhraseRule(1, "payment page error"),
        PhraseRule(2, "page error"),
        PhraseRule(3, "error"),
    ]
    result = PhraseMatcher(rules).match("The payment page errored twice")
    assert result[1].phrases == ("payment", "payment page error")
    assert result[1].excerpts == ("payment", "payment page errored")
    assert result[2].excerpts == ("page errored",)
    assert result[3].excerpts == ("errored",)


def test_phrase_written_with_niqqud_accents_or_capitals_matches_plain_text():
    rules = [PhraseRule(1, "הַתַּשְׁלוּם"), PhraseRule(2, "CAFÉ Crème"), PhraseRule(3, "ПЛАЩАНЕ")]
    result = PhraseMatcher(rules).match("התשלום נכשל at the cafe creme; плащане")
    assert {i: h.excerpts for i, h in result.items()} == {1: ("התשלום",), 2: ("cafe creme",), 3: ("плащане",)}


def test_phrases_without_letters_or_digits_match_nothing():
    only_punctuation = PhraseMatcher([PhraseRule(1, "?!"), PhraseRule(1, "  "), PhraseRule(2, "😡")])
    assert only_punctuation.match("?! 😡 anything at all") == {}
    assert PhraseMatcher([]).match("checkout fails") == {}


def test_an_incident_with_only_exclusions_never_matches():
    assert PhraseMatcher([PhraseRule(1, "refund", exclude=True)]).match("refund please") == {}


def test_very_long_text_finds_the_first_occurrence_far_in():
    filler = "Lorem ipsum dolor sit amet, ההזמנה שלי, заявка. " * 20_000  # about 1 MB
    text = filler + "Then CHECKOUT fails. " + filler + "checkout fails again"
    result = matcher.match(text)
    assert result == {CHECKOUT: PhraseHit(CHECKOUT, ("checkout fails",), ("CHECKOUT fails",))}


def test_many_rules_for_many_incidents_keep_them_apart():
    rules = [PhraseRule(n, f"product{n} broken") for n in range(2000)]
    rules.append(PhraseRule(1234, "product1234 broken today", exclude=True))
    big = PhraseMatcher(rules)
    assert set(big.match("product17 broken, product1999 Broken!")) == {17, 1999}
    assert big.match("product1234 broken today") == {}
    assert set(big.match("product1234 broken yesterday")) == {1234}


def _reference_match(phrase: str, text: str) -> bool:
    """The documented semantics, written the slow and obvious way, token by token."""
    words, tokens = match_form(phrase).split(" "), match_form(text).split(" ")

    def readings(token, word):
        yield token
        if "א" <= word[0] <= "ת":
            for n in range(1, 4):
                if len(token) > n and all(ch in "והבלמשכ" for ch in token[:n]):
                    yield token[n:]

    def fits(token, word, last):
        base = stem(word)  # a stem may take an ending of up to 4 letters; a short inner word none
        if last and base == word:
            return any(r.startswith(word) for r in readings(token, word))
        if last or (len(word) >= 5 and word.isalpha()):
            return any(r.startswith(base) and len(r) - len(base) <= 4 for r in readings(token, word))
        return any(r == word for r in readings(token, word))

    return any(
        all(fits(tokens[i + j], w, j == len(words) - 1) for j, w in enumerate(words))
        for i in range(len(tokens) - len(words) + 1)
    )


VOCABULARY = [
    "תשלום",
    "התשלום",
    "ובתשלום",
    "כשהתשלום",
    "באתר",
    "אתר",
    "לא",
    "שלא",
    "עובד",
    "עובדים",
    "checkout",
    "checkouts",
    "fails",
    "failed",
    "can't",
    "cant",
    "pay",
    "плащане",
    "плащането",
    "не",
    "работи",
    "сайта",
    "x",
    ",",
    "...",
    "😡",
    "\u200f",
]
PHRASES = [
    "תשלום באתר",
    "תשלום לא עובד",
    "לא עובד",
    "אתר",
    "checkout fails",
    "can't pay",
    "плащане",
    "сайта не работи",
    "לא checkout",
    "pay תשלום",
    "fails לא עובד",
]


@pytest.mark.parametrize("seed", range(30))
def test_matcher_agrees_with_the_token_by_token_reference(seed):
    rng = random.Random(seed)
    rules = [PhraseRule(n, phrase) for n, phrase in enumerate(PHRASES)]
    compiled = PhraseMatcher(rules)
    for _ in range(40):
        text = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 12)))
        expected = {n for n, phrase in enumerate(PHRASES) if _reference_match(phrase, text)}
        assert set(compiled.match(text)) == expected, text
