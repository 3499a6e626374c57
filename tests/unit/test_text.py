"""Normalisation: what two texts must have in common to be compared as equal."""

import random

import pytest

from service.domain.text.codepages import fold_collapsed
from service.domain.text.folding import fold_words
from service.domain.text.normalise import mapped_match_form, match_form, normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        # case and accents (Latin)
        ("Café", "cafe"),
        ("CAFE\u0301", "cafe"),  # decomposed accent
        ("Crème brûlée, naïve façade", "creme brulee naive facade"),
        ("Straße", "strasse"),
        ("ＣＨＥＣＫＯＵＴ ﬁne", "checkout fine"),  # full-width letters, ligature
        # apostrophes and quotes
        ("I can't pay", "i cant pay"),
        ("I can’t pay", "i cant pay"),
        ("I can`t pay", "i cant pay"),
        ("I cant pay", "i cant pay"),
        ('He said "checkout"', "he said checkout"),
        ("«Плащането»", "плащането"),
        # punctuation separates words, whitespace collapses
        ("checkout...FAILS!!!", "checkout fails"),
        ("e-mail/sms", "e mail sms"),
        ("  order\t#123\n\n\r\nfailed  ", "order 123 failed"),
        ("user_name@example.com", "user name example com"),
        # Hebrew: niqqud, cantillation, final letters, geresh and gershayim
        ("הַתַּשְׁלוּם", "התשלומ"),
        ("בְּרֵאשִׁ֖ית בָּרָ֣א", "בראשית ברא"),
        ("ך ם ן ף ץ", "כ מ נ פ צ"),
        ("שלום עולם", "שלומ עולמ"),
        ("ג׳ינס", "גינס"),
        ("צה״ל", "צהל"),
        ("שׁ", "ש"),  # presentation form with a point
        # Bulgarian / Cyrillic
        ("ПЛАЩАНЕТО НА САЙТА", "плащането на саита"),
        ("Край, мой", "краи мои"),  # й folds to и (documented choice)
        ("ёлка", "елка"),
        ("ѝ", "и"),  # grave-accented и, a stress mark
        # invisible marks inside words vanish
        ("\u200fהתשלום\u200e באתר\u200f", "התשלומ באתר"),
        ("che\u200bck\u00adout", "checkout"),
        ("\ufeffcheckout", "checkout"),
        # emoji and symbols separate words
        ("checkout😡fails", "checkout fails"),
        ("👨‍👩‍👧 🇧🇬 👍🏽", ""),
        ("€50 → $60 ©", "50 60"),
        # mixed scripts stay as they are, each folded
        ("Order 12: התשלום לא עובד / Плащане", "order 12 התשלומ לא עובד плащане"),
        # nothing left
        ("", ""),
        ("   \n\t ", ""),
        ("?!… —", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["Café CHECKOUT", "הַתַּשְׁלוּם באתר", "Плащането, й", "can’t 😡 pay", "½ ﬁ"])
def test_normalize_is_idempotent(raw):
    once = normalize(raw)
    assert normalize(once) == once


def test_ascii_fast_path_agrees_with_the_general_path():
    sentence = "Checkout FAILS (error #500); I can't pay -- order_42!"
    assert normalize(sentence + " é") == normalize(sentence) + " e"


@pytest.mark.parametrize(
    "latin_lookalike, cyrillic",
    [
        ("плащанетo", "плащането"),  # Latin o at the end
        ("pабoти", "работи"),  # Latin p and o
        ("CAЙТА", "сайта"),  # Latin C and A, upper case
    ],
)
def test_match_form_folds_cyrillic_lookalikes(latin_lookalike, cyrillic):
    assert normalize(latin_lookalike) != normalize(cyrillic)
    assert match_form(latin_lookalike) == match_form(cyrillic)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "Checkout fails with error 500",
        "I can’t pay on your site!!",
        "הַתַּשְׁלוּם באתר\u200f לא עובד",
        "плащането на сайта не работи 😡",
        "½ ﬁx — Straße",
    ],
)
def test_mapped_form_equals_match_form(raw):
    assert mapped_match_form(raw).text == match_form(raw)


@pytest.mark.parametrize(
    "raw, folded_word, original_word",
    [
        ("Hi — הַתַּשְׁלוּם\u200f באתר", "התשלומ", "הַתַּשְׁלוּם"),  # marks kept, RLM dropped
        ("I can’t pay", "cant", "can’t"),
        ("'Checkout' is down", "checkout", "Checkout"),  # quotes trimmed
        ("ПЛАЩАНЕТО!", "плaщaнeтo", "ПЛАЩАНЕТО"),
        ("straße", "strasse", "straße"),  # one letter became two
    ],
)
def test_mapped_form_maps_words_back_to_the_original(raw, folded_word, original_word):
    mapped = mapped_match_form(raw)
    start = mapped.text.index(folded_word)
    assert mapped.original_words(start, start + len(folded_word)) == original_word


def test_mapped_form_spans_several_words_with_the_original_separators():
    mapped = mapped_match_form("Your checkout...\n\nFAILS again")
    start = mapped.text.index("checkout fails")
    assert mapped.original_words(start, start + len("checkout fails")) == "checkout...\n\nFAILS"


def _alphabet() -> list[str]:
    """Every character of the three code pages, plus characters that none of them has."""
    chars = {
        bytes([b]).decode(cp, errors="ignore") for cp in ("cp1252", "cp1255", "cp1251") for b in range(256)
    }
    chars |= set("ßẞİ™½ﬁＡ😡👍🏽\u200d\u200f\u0301\u05b8\ufb2aЁйΣς中文\u2028\u00a0\U000e0067")
    return sorted(c for c in chars if c)


@pytest.mark.parametrize("seed", range(40))
def test_code_page_route_gives_the_general_result_or_steps_aside(seed):
    rng = random.Random(seed)
    alphabet = _alphabet()
    pool = (
        alphabet if seed % 2 else [c for c in alphabet if c.isascii()] + list("אבגדהוזחטיכךלמםנןסעפףצץקרשת׳״ְֱ")
    )
    text = "".join(rng.choice(pool) for _ in range(300))
    for lookalikes in (False, True):
        general = " ".join(fold_words(text, lookalikes).split())
        assert fold_collapsed(text, lookalikes) in (None, general)
        assert fold_collapsed(text + "\u0301", lookalikes) in (None, general)


@pytest.mark.parametrize(
    "text",
    [
        "Checkout fails — I can’t pay 😡",
        "הַתַּשְׁלוּם באתר לא עובד ‏🙏",
        "Плащането на сайта не работи… 👍🏽",
    ],
)
def test_code_page_route_takes_single_script_tickets(text):
    assert fold_collapsed(text, True) == " ".join(fold_words(text, True).split())


@pytest.mark.parametrize("text", ["Straße", "Плащане שלום", "™ 2024"])
def test_code_page_route_steps_aside_when_the_text_does_not_fit(text):
    assert fold_collapsed(text, False) is None
    assert normalize(text) == " ".join(fold_words(text, False).split())


@pytest.mark.parametrize(
    "raw, folded_words, original_words",
    [
        ("Half ½ off, checkout fails", "checkout fails", "checkout fails"),  # ½ folds into two words
        ("™ checkout", "checkout", "checkout"),  # ™ folds into a word
        ("x ' y 😡 \u200f z checkout", "checkout", "checkout"),  # lone apostrophe, emoji, RLM
        ("🄐 checkout", "checkout", "checkout"),  # enclosed letter outside the BMP
    ],
)
def test_mapped_form_finds_words_after_characters_that_fold_unusually(raw, folded_words, original_words):
    mapped = mapped_match_form(raw)
    start = mapped.text.index(folded_words)
    assert mapped.original_words(start, start + len(folded_words)) == original_words


def test_inert_values_show_the_same_but_no_longer_form_liquid_markup():
    from service.domain.text.templates import ZERO_WIDTH_SPACE, inert, render

    for hostile in ("{{ticket.latest_comment}}", "{% raw %}", "{{{x}}}", "}}{{", "a{{b}}c%}"):
        made_inert = inert(hostile)
        assert made_inert.replace(ZERO_WIDTH_SPACE, "") == hostile
        assert not any(pair in made_inert for pair in ("{{", "{%", "%}", "}}"))
    assert inert("Dana Levi") == "Dana Levi"
    assert (
        render("Hi {{first_name}}", {"first_name": "{{x}}"})
        == f"Hi {{{ZERO_WIDTH_SPACE}{{x}}{ZERO_WIDTH_SPACE}}}"
    )
    assert render("Hi {{first_name}}", {}, trusted={"first_name": "{{ticket.requester.first_name}}"}) == (
        "Hi {{ticket.requester.first_name}}"
    )
