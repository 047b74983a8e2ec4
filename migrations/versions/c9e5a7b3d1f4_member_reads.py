"""member reads

The read audit: which staff user opened which member's data, when.

Revision ID: c9e5a7b3d1f4
Revises: b8d4f6a2c0e3
Create Date: 2026-12-03 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'c9e5a7b3d1f4'
down_revision = 'b8d4f6a2c0e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_reads',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('read_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.CheckConstraint("kind IN ('page', 'history', 'access_export')",
                           name=op.f('ck_member_reads_kind')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_member_reads_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_reads')),
    )
    with op.batch_alter_table('member_reads', schema=None) as batch_op:
        batch_op.create_index('ix_member_reads_member_dt', ['member_id', 'read_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_reads_read_dt'), ['read_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_reads_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('member_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_reads_user_id'))
        batch_op.drop_index(batch_op.f('ix_member_reads_read_dt'))
        batch_op.drop_index('ix_member_reads_member_dt')
    op.drop_table('member_reads')
