"""Multi-word phrase rules meet customers' inflected words: what support leads wrote as rules
during real crisis stories, and sentences customers write, in Bulgarian, Hebrew and English."""

import pytest

from service.domain.linking.matching import PhraseMatcher, PhraseRule

# (the admin's phrase, a customer's sentence that means it)
SHOULD_MATCH = [
    ("плащане не работи", "Плащането не работи от сутринта, моля помогнете"),
    ("плащане не работи", "Здравейте, плащанията не работят на сайта"),
    ("поръчка закъснява", "Поръчката закъснява вече три дни"),
    ("поръчка закъснява", "Поръчките закъсняват, какво става?"),
    ("грешна пратка", "Получих грешната пратка вместо моята"),
    ("куриер не дойде", "Куриерът не дойде за връщането"),
    ("תשלום נכשל", "התשלום נכשל לי שלוש פעמים"),
    ("הזמנה מתעכבת", "ההזמנות מתעכבות כבר שבוע"),
    ("payment fails", "My payments failed twice this morning"),
    ("checkout broken", "Checkouts broken again?"),
    ("order delayed", "Both orders delayed since Monday"),
    ("refund missing", "My refunds missing for the recalled kettle"),
]
# Sentences that share letters with a rule but do not mean it.
SHOULD_NOT_MATCH = [
    ("can't pay", "The canteen pays its staff on Fridays"),
    ("не работи", "нещо работи"),
    ("order delayed", "I reordered, nothing delayed"),
    ("payment fails", "payment details below, nothing fails"),
]


def _matches(phrase: str, sentence: str) -> bool:
    return bool(PhraseMatcher([PhraseRule(1, phrase)]).match(sentence))


@pytest.mark.parametrize(("phrase", "sentence"), SHOULD_MATCH)
def test_an_inflected_phrase_still_matches(phrase, sentence):
    assert _matches(phrase, sentence)


@pytest.mark.parametrize(("phrase", "sentence"), SHOULD_NOT_MATCH)
def test_short_words_and_other_words_do_not(phrase, sentence):
    assert not _matches(phrase, sentence)
