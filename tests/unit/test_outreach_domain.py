"""Pure outreach logic: CSV audience, exclusions, messages per language, coupons, states."""

import pytest

from service.domain.outreach import coupons
from service.domain.outreach.audience import AudienceError, Customer, combine, is_vip, parse_csv
from service.domain.outreach.exclusions import route
from service.domain.outreach.messages import InvalidMessages, Message, clean_messages, render_for
from service.domain.outreach.state import TransitionRefused, next_state


def test_csv_columns_extra_fields_duplicates_and_invalid_rows():
    audience = parse_csv(
        "Email;Full name;Language;Order\n"
        "a@x.com;Ann Lee;he;#1\n\n"
        "A@X.com ;Ann again;en;#2\n"
        "nope;Bad;en;#3\n"
        ";No email;en;#4\n"
    )
    assert [c.email for c in audience.customers] == ["a@x.com"]
    assert audience.customers[0].fields == (("order", "#1"),) and audience.customers[0].locale == "he"
    assert [(r.line, r.reason) for r in audience.invalid] == [
        (5, "not an email address"),
        (6, "no email address"),
    ]
    assert audience.duplicates[0].line == 4 and "line 2" in audience.duplicates[0].reason


def test_csv_without_email_column_or_in_another_encoding_is_refused():
    with pytest.raises(AudienceError, match="no 'email' column"):
        parse_csv("name\nAnn\n")
    with pytest.raises(AudienceError, match="UTF-8"):
        parse_csv("email\n\xe9@x.com\n".encode("latin-1"))


def test_search_results_fill_in_the_helpdesk_user_of_a_csv_customer():
    merged = combine(
        parse_csv("email\nann@x.com\n"),
        [Customer("ANN@x.com", "Ann", helpdesk_user_id=7, tags=("vip",), source="search")],
    )
    assert len(merged.customers) == 1 and merged.customers[0].helpdesk_user_id == 7
    assert merged.customers[0].tags == ("vip",) and len(merged.duplicates) == 1


def test_exclusions_say_why():
    people = [
        Customer(e, tags=("no_outreach",) if e == "t@x.com" else ())
        for e in ("c@x.com", "o@x.com", "t@x.com", "w@x.com", "n@x.com")
    ]
    routed = {
        r.customer.email: r
        for r in route(
            people,
            linked_tickets={"w@x.com": 42},
            opted_out_emails=["O@x.com"],
            opt_out_tag="no_outreach",
            contacted={"c@x.com": "campaign “A”"},
        )
    }
    assert [routed[e].route for e in ("c@x.com", "o@x.com", "t@x.com", "w@x.com", "n@x.com")] == [
        "already_contacted",
        "opted_out",
        "opted_out",
        "existing_ticket",
        "new_ticket",
    ]
    assert routed["w@x.com"].ticket_id == 42 and "#42" in routed["w@x.com"].reason


def test_message_in_the_customers_language_with_fallback_and_isolated_values_in_rtl():
    messages = {
        "en": Message("Re {{incident_title}}", "Hi {{first_name}} ({{order}}) {{status}} {{coupon}}"),
        "he": Message("בנוגע ל{{incident_title}}", "שלום {{first_name}}, קוד {{coupon}} {{oops}}"),
    }
    ann = Customer("a@x.com", "Ann Lee", locale="bg", fields=(("order", "#1"),))
    text = render_for(
        messages,
        ann,
        default_locale="en",
        incident_title="Outage",
        status_texts={"en": "{{first_name}}, back soon.", "bg": "Скоро."},
        status_page_url="",
        coupon="SORRY-1",
    )
    assert (text.locale, text.subject, text.body) == (
        "en",
        "Re Outage",
        "Hi Ann (#1) Ann, back soon. SORRY-1",
    )
    dana = render_for(
        messages,
        Customer("d@x.com", "Dana", locale="he-IL"),
        default_locale="en",
        incident_title="Outage",
        status_texts={},
        status_page_url="",
        coupon="SORRY-2",
    )
    assert dana.direction == "rtl" and "\u2068SORRY-2\u2069" in dana.body and dana.unknown == ("oops",)


def test_messages_need_subject_and_body():
    with pytest.raises(InvalidMessages) as invalid:
        clean_messages({"en": {"subject": "Hi", "body": ""}})
    assert "en" in invalid.value.errors


def test_generated_coupons_are_unique_in_format_and_avoid_taken_codes():
    codes = coupons.generate("SORRY-XXXX-XXXX", 2000, taken={"SORRY-2222-2222"})
    assert len(set(codes)) == 2000 and "SORRY-2222-2222" not in codes
    assert all(
        len(c) == 15 and c.startswith("SORRY-") and set(c[6:].replace("-", "")) <= set(coupons.ALPHABET)
        for c in codes
    )
    with pytest.raises(coupons.InvalidCoupons, match="at least 8"):
        coupons.generate("XXXX", 1)


def test_coupon_pool_reports_bad_and_repeated_lines():
    codes, problems = coupons.parse_pool("code\nABC-1\nABC-1\nno spaces allowed\nXYZ-9,extra\n")
    assert codes == ["ABC-1", "XYZ-9"] and [p[0] for p in problems] == [3, 4]


def test_state_machine():
    assert next_state("draft", "launch") == "running"
    assert next_state("paused", "resume") == "running"
    with pytest.raises(TransitionRefused, match="cannot launch"):
        next_state("done", "launch")


def test_vip_by_helpdesk_tag_or_csv_column():
    assert is_vip(Customer("a@x.com", tags=("vip",)), "vip")
    assert is_vip(Customer("b@x.com", fields=(("vip", "Yes"),)), "vip")
    assert not is_vip(Customer("c@x.com", fields=(("vip", "no"),), tags=("gold",)), "vip")


def test_a_message_that_cannot_say_what_the_campaign_promises_is_unsendable():
    from service.domain.outreach.messages import Message, unsendable

    plain = {"en": Message("Sorry", "Hi {{first_name}}, sorry.")}
    assert "{{coupon}}" in unsendable(plain, with_coupons=True)["en"]
    assert unsendable(plain, with_coupons=False) == {}
    odd = {"en": Message("Sorry", "Order {{order_id}}, code {{coupon}}")}
    assert unsendable(odd, with_coupons=True) == {}  # the audience is not known yet
    assert "{{order_id}} names nothing" in unsendable(odd, with_coupons=True, fields=set())["en"]
    assert unsendable(odd, with_coupons=True, fields={"order_id"}) == {}
