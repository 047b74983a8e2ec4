"""inbound messages of the unsubscribe mailbox

One row per message read from the List-Unsubscribe mailbox (`coopcrm inbox
ingest`, the inbox.ingest job): its key (Message-ID or a hash) is the ledger
that makes a rerun change nothing; the row is also what « Messages reçus » lists.

Revision ID: 6b6da1f38f25
Revises: e5b81c7d2f40
Create Date: 2026-12-03 11:48:42.122236

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = '6b6da1f38f25'
down_revision = 'e5b81c7d2f40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_messages',
    sa.Column('message_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('sent_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('recorded_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('unsubscribe', 'bounce', 'other')", name=op.f('ck_inbound_messages_kind')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_inbound_messages_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbound_messages_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('message_key', name=op.f('uq_inbound_messages_message_key'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_messages_kind_received', ['kind', 'recorded_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_member_id'), ['member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_member_id'))
        batch_op.drop_index('ix_inbound_messages_kind_received')

    op.drop_table('inbound_messages')
