"""The reply's language, end to end through the sandbox: the profile's language when it was set
apart from the account's default, else the language the customer wrote in; read back as the
customer reads it, from the ticket's comments."""

import pytest

from service.incidents.status import post_status_update
from service.incidents.store import get_incident
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for

PHRASES = ["checkout fails", "תשלום", "оплата", "الدفع", "pagamento"]
STATUS = {
    "en": "Hi {{first_name}}, checkout is down; we expect it back within 3 hours.",
    "he": "שלום {{first_name}}, מערכת התשלום מושבתת; אנו צופים שתחזור תוך 3 שעות.",
    "ru": "Здравствуйте, {{first_name}}! Оплата на сайте не работает, чиним, вернём за 3 часа.",
    "ar": "مرحبا {{first_name}}، الدفع في الموقع متوقف ونتوقع إصلاحه خلال 3 ساعات.",
    "pt": "Olá {{first_name}}, o pagamento está em baixo; esperamos resolver em 3 horas.",
}


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def answered(running, ticket_id: int) -> tuple[dict, dict] | None:
    """(the public reply, the internal note), once both are there."""
    comments = running.comments(ticket_id)[1:]
    public = [c for c in comments if c["public"]]
    notes = [c for c in comments if not c["public"]]
    return (public[0], notes[0]) if public and notes else None


@pytest.mark.parametrize(
    "locale, name, text, greeting, note",
    [
        (
            "ru",
            "Иван Петров",
            "Оплата на сайте не проходит уже час",
            "Здравствуйте, Иван!",
            "profile language",
        ),
        ("ar", "أمل حداد", "الدفع في الموقع لا يعمل منذ الصباح", "مرحبا أمل،", "profile language"),
        ("pt-BR", "João Silva", "O pagamento no site não funciona", "Olá João,", "No text in 'pt-br' yet"),
    ],
)
def test_a_customer_whose_profile_names_their_language_is_answered_in_it(
    running, locale, name, text, greeting, note
):
    declare_checkout_incident(running.services, phrases=PHRASES, status_texts=STATUS)
    ticket_id = running.create_ticket(text, name=name, email=f"{locale}@example.com", locale=locale)

    reply, internal = wait_for(lambda: answered(running, ticket_id))

    assert reply["body"].startswith(greeting)
    assert note in internal["body"]


def test_a_customer_with_the_default_profile_who_writes_hebrew_is_answered_in_hebrew(running):
    declare_checkout_incident(running.services, phrases=PHRASES, status_texts=STATUS)
    ticket_id = running.create_ticket(
        "התשלום באתר לא עובד כבר שעתיים", name="Noa Cohen", email="noa@example.com", locale="en-US"
    )

    reply, internal = wait_for(lambda: answered(running, ticket_id))

    assert reply["body"].startswith("שלום Noa, מערכת התשלום מושבתת")
    assert "Language: 'he'" in internal["body"] and "detected, confidence" in internal["body"]


def test_a_customer_created_without_a_language_gets_the_accounts_and_is_answered_in_their_words(running):
    running.api.post(f"{running.sandbox_url}/_sandbox/account_locale", json={"locale": "bg"}, timeout=10)
    declare_checkout_incident(running.services, phrases=PHRASES, status_texts=STATUS, default_locale="en")
    answer = running.api.post(
        f"{running.sandbox_url}/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Оплата",
                "comment": {"body": "Здравствуйте! Оплата не проходит, деньги списали дважды, что делать?"},
                "requester": {"name": "Olga", "email": "olga@example.com"},
            }
        },
        timeout=10,
    )
    ticket_id = answer.json()["ticket"]["id"]
    requester = running.api.get(
        f"{running.sandbox_url}/api/v2/users/{answer.json()['ticket']['requester_id']}.json", timeout=10
    ).json()["user"]
    assert requester["locale"] == "bg"  # the account's default, as Zendesk gives every new user

    reply, internal = wait_for(lambda: answered(running, ticket_id))

    assert reply["body"].startswith("Здравствуйте, Olga!")
    assert "account's default (bg)" in internal["body"]


def test_a_customer_first_answered_in_a_fallback_gets_the_next_update_in_their_language(running):
    first = {k: STATUS[k] for k in ("en", "he")}
    incident_id, _, _ = declare_checkout_incident(running.services, phrases=PHRASES, status_texts=first)
    ticket_id = running.create_ticket(
        "Оплата на сайте не проходит уже час", name="Иван Петров", email="ivan@example.com", locale="ru"
    )
    reply, _ = wait_for(lambda: answered(running, ticket_id))
    assert reply["body"].startswith("Hi Иван")  # no Russian text yet: the incident's default

    with running.services.db.transaction() as session:
        post_status_update(
            session,
            running.services.helpdesk,
            get_incident(session, incident_id),
            "identified",
            {
                "en": "Update for {{first_name}}: fixed soon.",
                "ru": "Новости для {{first_name}}: скоро починим.",
            },
            broadcast=True,
            actor="lead",
        )

    def latest_reply() -> str | None:
        public = [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]
        return public[-1] if len(public) == 2 else None

    assert wait_for(latest_reply).startswith("Новости для Иван")
