"""data requests

The register of data subjects' requests (RGPD art. 12 to 21): received, due,
extended, answered.

Revision ID: b8d4f6a2c0e3
Revises: a7c3e5f1b9d2
Create Date: 2026-12-03 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'b8d4f6a2c0e3'
down_revision = 'a7c3e5f1b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_requests',
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('requester', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('extended', sa.Boolean(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('access', 'rectification', 'erasure', 'objection', 'portability')",
                           name=op.f('ck_data_requests_kind')),
        sa.CheckConstraint("channel IN ('email', 'courrier', 'accueil', 'telephone')",
                           name=op.f('ck_data_requests_channel')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_data_requests_member_id_members'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_data_requests_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests')),
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_due_on'), ['due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_due_on'))
        batch_op.drop_index(batch_op.f('ix_data_requests_member_id'))
    op.drop_table('data_requests')
