"""What a campaign refusal says to people, in English (service.domain.phrases says it in others)."""

from __future__ import annotations

from service.domain.phrases import sentence

ONLY_DRAFTS_CHANGE = sentence(
    "campaign.only_drafts_change", "the campaign is {state}; only a draft can change"
)
TAKEN_MEANWHILE = sentence(
    "campaign.taken_meanwhile",
    "another campaign of this incident took some of these customers a moment ago; "
    "save the audience again to see them excluded",
)
COUPONS_SHORT = sentence(
    "campaign.coupons_short",
    {
        "one": "the coupon pool has {free} unused codes for {count} customer; upload more codes or generate them",
        "other": "the coupon pool has {free} unused codes for {count} customers; upload more codes or generate them",
    },
    count_of="count",
)
NO_MESSAGE = sentence("campaign.no_message", "write the message before launching")
SHADOW_INCIDENT = sentence(
    "campaign.shadow_incident",
    "the incident is in shadow mode, and outreach writes to customers; take the incident out of shadow mode first",
)
NO_AUDIENCE = sentence(
    "campaign.no_audience", "the audience is empty; upload a CSV or define a helpdesk search"
)
EVERYONE_AFFECTED_AFTERWARDS = sentence(
    "campaign.everyone_affected_afterwards",
    "everyone affected is an audience for a follow-up or goodwill campaign; a notice goes to whom the CSV or search names",
)
