"""Near-duplicate text: what is cut, how similar resent messages score, the LSH index."""

from service.domain.merging.duplicates import (
    BANDS,
    BandIndex,
    Fingerprint,
    identifiers,
    message_body,
    similarity,
)

MESSAGE = (
    "Hello,\nMy order #482913 with the running shoes has not arrived. Tracking says in transit "
    "since Monday and nobody answers the phone.\n\nBest regards,\nDana"
)


def test_message_body_cuts_salutation_signature_and_quoted_reply():
    text = (
        "Hi there,\nThe checkout fails at the last step.\n\nOn Mon, Dana wrote:\n> earlier words\n"
        "> more earlier words"
    )
    assert message_body(text).strip() == "The checkout fails at the last step."
    assert message_body("שלום רב\nהתשלום לא עובד\n\nבברכה,\nנועה").strip() == "התשלום לא עובד"
    assert message_body("Здравейте,\nПлащането не работи.\n--\nИван").strip() == "Плащането не работи."
    assert "earlier" not in message_body("New text\n> earlier\nmore new text")


def test_a_resent_message_with_typos_scores_high_and_another_message_low():
    resent = MESSAGE.replace("arrived", "arived").replace("Tracking", "tracking") + "\nSent from my iPhone"
    other = "Hello,\nI want to change the colour of the yoga mat I ordered yesterday, blue instead of red."
    original = Fingerprint.of(MESSAGE)
    assert similarity(original, Fingerprint.of(resent)) >= 0.7
    assert similarity(original, Fingerprint.of(other)) < 0.2


def test_same_words_about_another_order_are_not_duplicates():
    other_order = MESSAGE.replace("482913", "771204")
    assert identifiers(MESSAGE) == {"482913"}
    assert similarity(Fingerprint.of(MESSAGE), Fingerprint.of(other_order)) == 0.0
    follow_up = (
        "Hello,\nMy order with the running shoes has not arrived. Tracking says in transit since Monday."
    )
    assert similarity(Fingerprint.of(MESSAGE), Fingerprint.of(follow_up)) > 0.5  # no number: no veto


def test_same_text_in_hebrew_and_bulgarian_is_found_and_case_and_accents_do_not_matter():
    hebrew = "ההזמנה שלי עם נעלי ריצה עדיין לא הגיעה, המעקב מראה שהחבילה בדרך מאז יום שני"
    bulgarian = "Поръчката ми с маратонки още не е пристигнала, проследяването показва в транзит"
    assert similarity(Fingerprint.of(hebrew), Fingerprint.of(hebrew.replace("ם", "מ"))) > 0.9
    assert similarity(Fingerprint.of(bulgarian), Fingerprint.of(bulgarian.upper())) == 1.0


def test_empty_text_has_no_bands_and_matches_nothing():
    empty = Fingerprint.of("   \n-- \nDana")
    assert empty.bands == ()
    assert similarity(empty, Fingerprint.of(MESSAGE)) == 0.0


def test_fingerprints_are_stable_and_band_keys_fit_a_bigint():
    first, second = Fingerprint.of(MESSAGE), Fingerprint.of(MESSAGE)
    assert first == second and len(first.bands) == BANDS
    assert all(0 <= key < 2**63 for key in first.bands)


def test_band_index_finds_the_duplicate_among_many():
    index = BandIndex()
    for n in range(300):
        index.add(
            n, Fingerprint.of(f"Hello,\nTicket {n * 7919}: the {n}th parcel about item {n * 31} is late.")
        )
    index.add(1000, Fingerprint.of(MESSAGE))
    query = Fingerprint.of(MESSAGE.replace("nobody", "noone") + "\n\nThanks,\nDana")
    assert 1000 in index.candidates(query)
    found, score = index.best(query, 0.7)
    assert found == 1000 and score >= 0.7
    assert index.best(Fingerprint.of("Completely unrelated words about a tennis racket colour"), 0.7) == (
        None,
        0.0,
    )
