"""Locales in the sandbox: Zendesk's full list with ids and direction, and the account's default
locale, which every user created without one gets (as on Zendesk)."""

from integrations.zendesk.adapter import ZendeskAdapter
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def test_the_locales_are_zendesks_full_list_with_the_default_and_rtl(api, sandbox):
    locales = {item["locale"]: item for item in api.get(f"{sandbox.url}/api/v2/locales").json()["locales"]}
    assert {"tr", "ro", "uk", "pt-BR", "pt", "zh-tw", "es-419", "ar", "he", "fa", "ur"} <= set(locales)
    assert [code for code, item in locales.items() if item["default"]] == ["en-US"]
    assert {code for code, item in locales.items() if item["rtl"]} == {"ar", "he", "fa", "ur"}
    assert (locales["en-US"]["id"], locales["zh-tw"]["id"], locales["pl"]["id"]) == (1, 9, 13)
    assert len({item["id"] for item in locales.values()}) == len(locales)
    shown = api.get(f"{sandbox.url}/api/v2/locales/tr").json()["locale"]
    assert shown["locale"] == "tr" and api.get(f"{sandbox.url}/api/v2/locales/{shown['id']}").ok


def test_a_user_created_without_a_locale_gets_the_accounts_default(api, sandbox):
    plain = api.post(f"{sandbox.url}/api/v2/users", json={"user": {"name": "Ana"}}).json()["user"]
    assert (plain["locale"], plain["locale_id"]) == ("en-US", 1)

    changed = api.post(f"{sandbox.url}/_sandbox/account_locale", json={"locale": "ro"})
    assert changed.json() == {"locale": "ro"}
    user = api.post(f"{sandbox.url}/api/v2/users", json={"user": {"name": "Ion"}}).json()["user"]
    ticket = api.post(
        f"{sandbox.url}/api/v2/tickets",
        json={
            "ticket": {
                "comment": {"body": "Plata nu merge"},
                "requester": {"name": "Maria", "email": "m@x.ro"},
            }
        },
    ).json()["ticket"]
    requester = api.get(f"{sandbox.url}/api/v2/users/{ticket['requester_id']}").json()["user"]
    assert user["locale"] == requester["locale"] == "ro"
    defaults = [
        i["locale"] for i in api.get(f"{sandbox.url}/api/v2/locales").json()["locales"] if i["default"]
    ]
    assert defaults == ["ro"]

    turkish = api.post(f"{sandbox.url}/api/v2/users", json={"user": {"name": "Ayşe", "locale": "tr"}})
    assert turkish.json()["user"]["locale"] == "tr"
    assert api.post(f"{sandbox.url}/_sandbox/account_locale", json={"locale": "tlh"}).status_code == 400


def test_the_adapter_reads_the_accounts_default_locale(api, sandbox):
    api.post(f"{sandbox.url}/_sandbox/account_locale", json={"locale": "he"})
    adapter = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
    assert adapter.account_default_locale() == "he"
