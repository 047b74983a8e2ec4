"""retention periods an admin changes in the app; scans of paper consent forms (issue 14)

Revision ID: a7c3e91f5d20
Revises: a7c4e2b9d013
Create Date: 2026-12-03 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'a7c3e91f5d20'
down_revision = 'a7c4e2b9d013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'retention_periods',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('updated_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_retention_periods_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_retention_periods')),
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proof_file', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('proof_bytes', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_column('proof_bytes')
        batch_op.drop_column('proof_file')
    op.drop_table('retention_periods')
