"""outreach campaigns: campaigns, recipients (one per incident and customer, ever), exclusions,
coupons, bulk jobs

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "outreach_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("default_locale", sa.String(10), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("vip_tag", sa.String(80), nullable=False),
        sa.Column("vip_priority", sa.String(20), nullable=True),
        sa.Column("group_id", sa.BigInteger(), nullable=True),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("search_query", sa.Text(), nullable=False),
        sa.Column("opt_out_tag", sa.String(80), nullable=False),
        sa.Column("opt_out_emails", sa.JSON(), nullable=False),
        sa.Column("coupon_mode", sa.String(20), nullable=False),
        sa.Column("coupon_format", sa.String(64), nullable=False),
        sa.Column("plan_requests_per_minute", sa.Integer(), nullable=False),
        sa.Column("api_share", sa.Float(), nullable=False),
        sa.Column("audience_report", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        _time("created_at"), _time("launched_at", True), _time("finished_at", True),
    )
    op.create_index("ix_outreach_campaigns_incident_id", "outreach_campaigns", ["incident_id"])
    op.create_table(
        "outreach_recipients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("outreach_campaigns.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(254), nullable=False),
        sa.Column("external_id", sa.String(120), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("locale", sa.String(20), nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=False),
        sa.Column("helpdesk_user_id", sa.BigInteger(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("coupon_code", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        _time("lease_expires_at", True), _time("available_at"), _time("sent_at", True),
        sa.UniqueConstraint("incident_id", "customer_key", name="uq_outreach_incident_customer"),
    )
    op.create_index("ix_outreach_recipients_campaign_id", "outreach_recipients", ["campaign_id"])
    op.create_index("ix_outreach_recipients_job_id", "outreach_recipients", ["job_id"])
    op.create_index("ix_outreach_due", "outreach_recipients", ["state", "available_at"])
    op.create_table(
        "outreach_exclusions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("outreach_campaigns.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_outreach_exclusions_campaign_id", "outreach_exclusions", ["campaign_id"])
    op.create_table(
        "outreach_coupons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("outreach_campaigns.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("recipient_id", sa.Integer(), sa.ForeignKey("outreach_recipients.id", ondelete="SET NULL"),
                  nullable=True, unique=True),
        _time("assigned_at", True),
    )
    op.create_index("ix_outreach_coupons_campaign_id", "outreach_coupons", ["campaign_id"])
    op.create_table(
        "outreach_jobs",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("outreach_campaigns.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recipient_ids", sa.JSON(), nullable=False),
        _time("submitted_at"), _time("next_poll_at"),
    )
    op.create_index("ix_outreach_jobs_campaign_id", "outreach_jobs", ["campaign_id"])


def downgrade() -> None:
    for table in ("outreach_jobs", "outreach_coupons", "outreach_exclusions", "outreach_recipients",
                  "outreach_campaigns"):
        op.drop_table(table)
