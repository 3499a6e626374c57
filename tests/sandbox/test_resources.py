"""Merge, macros, dynamic content, ticket fields, organizations, users, search, paging."""

from zenpy.lib.api_objects import Comment, Macro, Organization, Ticket, TicketField, User

from zendesk_sandbox.persistence import load_state, save_state
from zendesk_sandbox.state import SandboxState

from .conftest import wait_for


def _ticket(zd, subject="s", requester=None, **extra):
    spec = Ticket(subject=subject, comment=Comment(body=f"body of {subject}"), **extra)
    if requester:
        spec.requester = requester
    return zd.tickets.create(spec).ticket


def _done(zd, job_id):
    return wait_for(lambda: (j := zd.job_status(id=job_id)).status in ("completed", "failed") and j)


def test_merge_closes_sources_and_comments_on_both(zd, sandbox):
    target = _ticket(zd, "first", User(name="Olivia", email="olivia@example.com"))
    source = _ticket(zd, "second", User(name="Olivia", email="olivia@example.com"))
    assert target.requester_id == source.requester_id
    job = zd.tickets.merge(
        target.id,
        [source.id],
        target_comment="Merged #%d" % source.id,
        source_comment="Closing, see #%d" % target.id,
    )
    assert _done(zd, job.id).status == "completed"
    assert zd.tickets(id=source.id).status == "closed"
    assert sandbox.state.comments[source.id][-1]["body"] == f"Closing, see #{target.id}"
    assert sandbox.state.comments[target.id][-1]["body"] == f"Merged #{source.id}"
    # Zendesk's OpenAPI text: merge comments default to private unless the flags say otherwise.
    assert sandbox.state.comments[target.id][-1]["public"] is False


def test_merge_comments_public_when_asked_but_forced_private_for_channel_tickets(api, sandbox, zd):
    target = _ticket(zd, "first", User(name="Olivia", email="olivia@example.com"))
    source = _ticket(zd, "second", User(name="Olivia", email="olivia@example.com"))
    flags = {
        "target_comment": "t",
        "source_comment": "s",
        "target_comment_is_public": True,
        "source_comment_is_public": True,
    }
    job = api.post(
        f"{sandbox.url}/api/v2/tickets/{target.id}/merge", json={"ids": [source.id], **flags}
    ).json()
    assert _done(zd, job["job_status"]["id"]).status == "completed"
    assert sandbox.state.comments[target.id][-1]["public"] is True
    tweet = api.post(
        f"{sandbox.url}/api/v2/tickets.json",
        json={"ticket": {"subject": "x", "comment": {"body": "hi"}, "via": {"channel": "twitter"}}},
    ).json()["ticket"]
    other = _ticket(zd, "third")
    job = api.post(
        f"{sandbox.url}/api/v2/tickets/{other.id}/merge", json={"ids": [tweet["id"]], **flags}
    ).json()
    assert _done(zd, job["job_status"]["id"]).status == "completed"
    assert sandbox.state.comments[other.id][-1]["public"] is False


def test_merge_refuses_solved_targets_and_closed_sources(api, sandbox, zd):
    solved = _ticket(zd, "t", status="solved")
    source = _ticket(zd, "s")
    resp = api.post(f"{sandbox.url}/api/v2/tickets/{solved.id}/merge", json={"ids": [source.id]})
    assert resp.status_code == 422
    closed = _ticket(zd, "c", status="closed")
    target = _ticket(zd, "t2")
    resp = api.post(f"{sandbox.url}/api/v2/tickets/{target.id}/merge", json={"ids": [closed.id]})
    assert resp.status_code == 422
    too_many = api.post(f"{sandbox.url}/api/v2/tickets/{target.id}/merge", json={"ids": list(range(1, 8))})
    assert too_many.status_code == 400


def test_macro_crud_and_apply_preview_with_dynamic_content(api, sandbox, zd):
    item = api.post(
        f"{sandbox.url}/api/v2/dynamic_content/items.json",
        json={
            "item": {
                "name": "Checkout status",
                "default_locale_id": 1,
                "variants": [
                    {"locale_id": 1, "content": "We are fixing checkout.", "default": True},
                    {"locale_id": 30, "content": "אנחנו מתקנים את התשלום."},
                ],
            }
        },
    ).json()["item"]
    assert item["placeholder"] == "{{dc.checkout_status}}"
    macro = zd.macros.create(
        Macro(
            title="Incident status",
            actions=[
                {
                    "field": "comment_value",
                    "value": "Hi {{ticket.requester.first_name}}, {{dc.checkout_status}}",
                },
                {"field": "comment_mode_is_public", "value": "true"},
                {"field": "current_tags", "value": "incident_1"},
            ],
        )
    )
    ticket = _ticket(zd, "pay", User(name="Noa Levi", email="noa@example.com", locale="he"))
    resp = api.get(f"{sandbox.url}/api/v2/tickets/{ticket.id}/macros/{macro.id}/apply.json")
    result = resp.json()["result"]["ticket"]
    assert result["comment"]["body"] == "Hi Noa, אנחנו מתקנים את התשלום."
    assert result["comment"]["public"] is True
    assert result["comment"]["scoped_body"] == [["channel:all", result["comment"]["body"]]]
    assert "incident_1" in result["tags"] and result["id"] == ticket.id
    assert "incident_1" not in sandbox.state.tickets[ticket.id]["tags"]  # preview only
    macro.title = "Renamed"
    assert zd.macros.update(macro).title == "Renamed"
    assert api.delete(f"{sandbox.url}/api/v2/macros/{macro.id}").status_code == 204
    assert api.get(f"{sandbox.url}/api/v2/macros/{macro.id}").status_code == 404


def test_comment_placeholders_render_on_save(api, sandbox, zd):
    api.post(
        f"{sandbox.url}/api/v2/dynamic_content/items",
        json={
            "item": {
                "name": "greeting",
                "variants": [
                    {"locale_id": 1, "content": "Hello", "default": True},
                    {"locale_id": 1004, "content": "Здравейте"},
                ],
            }
        },
    )
    ticket = _ticket(zd, "x", User(name="Ivan", email="ivan@example.bg", locale="bg"))
    ticket.comment = Comment(body="{{dc.greeting}} {{ticket.requester.name}}")
    zd.tickets.update(ticket)
    assert sandbox.state.comments[ticket.id][-1]["body"] == "Здравейте Ivan"


def test_ticket_fields_and_custom_values(zd, sandbox, api):
    field = zd.ticket_fields.create(TicketField(title="Order number", type="text"))
    drop = api.post(
        f"{sandbox.url}/api/v2/ticket_fields",
        json={
            "ticket_field": {
                "title": "Reason",
                "type": "tagger",
                "custom_field_options": [{"name": "Checkout", "value": "reason_checkout"}],
            }
        },
    ).json()["ticket_field"]
    ticket = _ticket(
        zd,
        "f",
        custom_fields=[{"id": field.id, "value": "48213"}, {"id": drop["id"], "value": "reason_checkout"}],
    )
    shown = api.get(f"{sandbox.url}/api/v2/tickets/{ticket.id}").json()["ticket"]
    assert {"id": field.id, "value": "48213"} in shown["custom_fields"]
    assert "reason_checkout" in shown["tags"]


def test_organizations_groups_and_users(zd, api, sandbox):
    org = zd.organizations.create(Organization(name="Peak Outdoor"))
    user = zd.users.create(
        User(name="Marcus", email="marcus@peak.example", organization_id=org.id, locale="bg")
    )
    assert user.locale == "bg" and isinstance(user.locale_id, int)
    assert [u.id for u in zd.organizations.users(org.id)] == [user.id]
    again = zd.users.create_or_update(User(email="marcus@peak.example", name="Marcus R."))
    assert again.id == user.id and again.name == "Marcus R."
    assert [u.id for u in zd.search(type="user", email="marcus@peak.example")] == [user.id]
    assert [u.id for u in zd.users.search(query="marcus@peak.example")] == [user.id]
    dup = api.post(
        f"{sandbox.url}/api/v2/users", json={"user": {"name": "x", "email": "marcus@peak.example"}}
    )
    assert dup.status_code == 422 and dup.json()["details"]["email"][0]["error"] == "DuplicateValue"
    job = zd.users.create([User(name=f"u{i}") for i in range(2)])
    assert all(r.status == "Created" for r in _done(zd, job.id).results)
    identities = api.get(f"{sandbox.url}/api/v2/users/{user.id}/identities").json()["identities"]
    assert identities[0]["value"] == "marcus@peak.example"
    groups = api.get(f"{sandbox.url}/api/v2/groups").json()["groups"]
    assert groups and groups[0]["name"] == "Support"


def test_search_query_syntax(zd, sandbox):
    olivia = User(name="Olivia", email="olivia@example.com")
    org = zd.organizations.create(Organization(name="Acme"))
    a = _ticket(zd, "checkout broken", olivia, tags=["vip"])
    b = _ticket(zd, "refund please", status="pending", organization_id=org.id)
    c = _ticket(zd, "checkout again", status="solved")
    ids = lambda q: sorted(t.id for t in zd.search(q, type="ticket"))  # noqa: E731
    assert ids("checkout") == [a.id, c.id]
    assert ids("status<solved") == [a.id, b.id]
    assert ids("status>=pending") == [b.id, c.id]
    assert ids("tags:vip") == [a.id]
    assert ids("requester:olivia@example.com") == [a.id]
    assert ids("organization:acme") == [b.id]
    assert ids("created>1hours") == [a.id, b.id, c.id]
    assert ids("created>2099-01-01") == []
    assert ids("checkout -tags:vip") == [c.id]
    assert ids("status:new status:pending") == [a.id, b.id]


def test_search_cap_and_export_cursor(zd, api, sandbox):
    for i in range(5):
        _ticket(zd, f"t{i}")
    capped = api.get(f"{sandbox.url}/api/v2/search.json?query=type:ticket&page=11&per_page=100")
    assert capped.status_code == 422 and capped.json()["error"] == "invalid"
    first = api.get(
        f"{sandbox.url}/api/v2/search/export.json",
        params={"query": "t", "filter[type]": "ticket", "page[size]": 2},
    ).json()
    assert len(first["results"]) == 2 and first["meta"]["has_more"] is True
    seen = [r["id"] for r in first["results"]]
    url = first["links"]["next"]
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["links"]["next"]
    assert sorted(seen) == sorted(sandbox.state.tickets)
    assert api.get(f"{sandbox.url}/api/v2/search/count?query=type:ticket").json()["count"] == 5


def test_list_pagination_offset_and_cursor_through_zenpy(zd, api, sandbox):
    for i in range(7):
        _ticket(zd, f"p{i}")
    offset = api.get(f"{sandbox.url}/api/v2/tickets.json?per_page=3&page=2").json()
    assert len(offset["tickets"]) == 3 and offset["count"] == 7
    assert offset["next_page"] and offset["previous_page"]
    cursor = api.get(f"{sandbox.url}/api/v2/tickets.json?page[size]=3").json()
    assert cursor["meta"]["has_more"] is True and cursor["links"]["next"]
    assert len([t.id for t in zd.tickets(cursor_pagination=3)]) == 7
    assert len(list(zd.tickets())) == 7


def test_job_status_expires(zd, api, sandbox):
    job = zd.tickets.create([Ticket(subject="a", description="b")])
    _done(zd, job.id)
    sandbox.state.job_ttl_seconds = 0
    assert api.get(f"{sandbox.url}/api/v2/job_statuses/{job.id}").status_code == 404


def test_incremental_tickets(zd, api, sandbox):
    sandbox.state.rate_limits.configure(incremental_exclusion_seconds=0, incremental_exports_per_minute=1000)
    _ticket(zd, "one")
    body = wait_for(
        lambda: (
            (b := api.get(f"{sandbox.url}/api/v2/incremental/tickets.json?start_time=0").json())["tickets"]
            and b
        )
    )
    assert body["tickets"][0]["generated_timestamp"] > 0 and body["end_of_stream"] is True


def test_persistence_round_trip(tmp_path, zd, sandbox):
    ticket = _ticket(zd, "persist me", tags=["x"])
    path = tmp_path / "sandbox.json"
    save_state(sandbox.state, str(path))
    restored = SandboxState()
    load_state(restored, str(path))
    assert restored.tickets[ticket.id]["subject"] == "persist me"
    assert restored.next_ticket_id() == ticket.id + 1
    assert restored.comments[ticket.id][0]["body"] == "body of persist me"
    assert restored.default_group_id in restored.groups
    assert restored.users[restored.admin_id]["email"] == "agent@sandbox.incidentdesk.test"
    assert restored.brand_id == sandbox.state.brand_id


def test_dynamic_content_variants(api, sandbox):
    item = api.post(
        f"{sandbox.url}/api/v2/dynamic_content/items",
        json={
            "item": {
                "name": "Outage",
                "default_locale_id": 1,
                "variants": [{"locale_id": 1, "content": "Down"}],
            }
        },
    ).json()["item"]
    base = f"{sandbox.url}/api/v2/dynamic_content/items/{item['id']}"
    made = api.post(
        f"{base}/variants/create_many.json",
        json={
            "variants": [{"locale_id": 30, "content": "לא עובד"}, {"locale_id": 1004, "content": "Не работи"}]
        },
    )
    assert made.status_code == 201 and len(made.json()["variants"]) == 2
    assert (
        api.post(f"{base}/variants", json={"variant": {"locale_id": 30, "content": "x"}}).status_code == 422
    )
    he = made.json()["variants"][0]
    api.put(f"{base}/variants/{he['id']}.json", json={"variant": {"content": "עדיין לא עובד"}})
    variants = api.get(f"{base}/variants").json()["variants"]
    assert {v["locale_id"]: v["content"] for v in variants} == {
        1: "Down",
        30: "עדיין לא עובד",
        1004: "Не работи",
    }
    assert [v["default"] for v in variants] == [True, False, False]


def test_tickets_by_external_id_through_zenpy(zd):
    _ticket(zd, "a", external_id="order-48213")
    _ticket(zd, "b")
    assert [t.subject for t in zd.tickets(external_id="order-48213")] == ["a"]
    assert [u.email for u in zd.users(query="email:agent@sandbox.incidentdesk.test")] == [
        "agent@sandbox.incidentdesk.test"
    ]


def test_cursor_pages_forward_and_back(api, sandbox, zd):
    for i in range(5):
        api.post(
            f"{sandbox.url}/api/v2/triggers",
            json={"trigger": {"title": f"t{i}", "actions": [{"field": "current_tags", "value": "x"}]}},
        )
    first = api.get(f"{sandbox.url}/api/v2/triggers?page[size]=2").json()
    assert [t["title"] for t in first["triggers"]] == ["t0", "t1"]
    assert first["links"]["prev"] is None and first["meta"]["has_more"] is True
    second = api.get(first["links"]["next"]).json()
    third = api.get(second["links"]["next"]).json()
    assert [t["title"] for t in third["triggers"]] == ["t4"] and third["links"]["next"] is None
    back = api.get(third["links"]["prev"]).json()
    assert [t["title"] for t in back["triggers"]] == ["t2", "t3"]


def test_macro_ids_are_only_recorded_in_the_audit(api, sandbox, zd):
    macro = zd.macros.create(Macro(title="Status", actions=[{"field": "status", "value": "solved"}]))
    ticket = _ticket(zd, "m")
    resp = api.put(
        f"{sandbox.url}/api/v2/tickets/{ticket.id}",
        json={"ticket": {"macro_ids": [macro.id], "comment": {"body": "Current status: fixing"}}},
    )
    assert resp.json()["ticket"]["status"] == "new"
    refs = [e for e in resp.json()["audit"]["events"] if e["type"] == "AgentMacroReference"]
    assert refs == [
        {
            "id": refs[0]["id"],
            "type": "AgentMacroReference",
            "macro_id": str(macro.id),
            "macro_title": "Status",
            "macro_deleted": False,
        }
    ]


def test_locales_match_user_locale_ids(api, sandbox, zd):
    user = zd.users.create(User(name="Noa", email="noa@example.com", locale="he"))
    locales = {loc["locale"]: loc for loc in api.get(f"{sandbox.url}/api/v2/locales").json()["locales"]}
    assert {"en-US", "he", "bg"} <= set(locales)
    assert locales["he"]["id"] == user.locale_id and locales["he"]["rtl"] is True
    by_id = api.get(f"{sandbox.url}/api/v2/locales/{user.locale_id}.json").json()["locale"]
    assert by_id["locale"] == "he"
    assert api.get(f"{sandbox.url}/api/v2/locales/xx").status_code == 404
