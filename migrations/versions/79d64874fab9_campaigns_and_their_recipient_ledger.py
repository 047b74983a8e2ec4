"""campaigns and their recipient ledger

A campaign is one message to a saved segment; at launch its audience is frozen
into campaign_recipients, one row per member with the channel and status.

Revision ID: 79d64874fab9
Revises: c3e8d1f0a5b7
Create Date: 2026-12-02 20:13:21.625421

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = '79d64874fab9'
down_revision = 'c3e8d1f0a5b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaigns',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('preheader', sa.String(length=250), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('exclude_campaign_id', sa.Integer(), nullable=True),
    sa.Column('residence_id', sa.Integer(), nullable=True),
    sa.Column('channel_rule', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('scheduled_at', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('launched_at', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_days', sa.String(length=7), nullable=False),
    sa.Column('window_start_hour', sa.Integer(), nullable=False),
    sa.Column('window_end_hour', sa.Integer(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('shared_context_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel_rule IN ('email_else_letter', 'email_only', 'letter_all')", name=op.f('ck_campaigns_channel_rule')),
    sa.CheckConstraint("state IN ('draft', 'scheduled', 'sending', 'paused', 'finished', 'cancelled')", name=op.f('ck_campaigns_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_campaigns_entity_id_entities')),
    sa.ForeignKeyConstraint(['exclude_campaign_id'], ['campaigns.id'], name=op.f('fk_campaigns_exclude_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['residence_id'], ['residences.id'], name=op.f('fk_campaigns_residence_id_residences'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_campaigns_segment_id_segments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shared_context_id'], ['outbox_shared_contexts.id'], name=op.f('fk_campaigns_shared_context_id_outbox_shared_contexts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_segment_id'), ['segment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_state'), ['state'], unique=False)

    op.create_table('campaign_recipients',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('fed_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('created_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'letter')", name=op.f('ck_campaign_recipients_channel')),
    sa.CheckConstraint("status IN ('queued', 'sent', 'deferred', 'bounced', 'failed', 'suppressed', 'letter')", name=op.f('ck_campaign_recipients_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_recipients_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_recipients_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_campaign_recipients_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipients')),
    sa.UniqueConstraint('campaign_id', 'member_id', name='uq_campaign_recipients_member')
    )
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_recipients_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_recipients_outbox_message_id'), ['outbox_message_id'], unique=False)
        batch_op.create_index('ix_campaign_recipients_status', ['campaign_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_recipients_status')
        batch_op.drop_index(batch_op.f('ix_campaign_recipients_outbox_message_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_recipients_member_id'))

    op.drop_table('campaign_recipients')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_state'))
        batch_op.drop_index(batch_op.f('ix_campaigns_segment_id'))
        batch_op.drop_index(batch_op.f('ix_campaigns_entity_id'))

    op.drop_table('campaigns')
