"""legal identities

An anonymised member's name and address, kept apart for the legal records that
must still name them (share register, AG attendance sheets) until `kept_until`.

Revision ID: d4f2a9c61e08
Revises: 79d64874fab9
Create Date: 2026-12-02 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'd4f2a9c61e08'
down_revision = '79d64874fab9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'legal_identities',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('civility', sa.String(length=10), nullable=False),
        sa.Column('first_name', sa.String(length=100), nullable=False),
        sa.Column('last_name', sa.String(length=100), nullable=False),
        sa.Column('address', sa.String(length=300), nullable=False),
        sa.Column('postal_code', sa.String(length=10), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('references', sa.JSON(), nullable=False),
        sa.Column('records', sa.JSON(), nullable=False),
        sa.Column('kept_until', sa.Date(), nullable=False),
        sa.Column('anonymised_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_legal_identities')),
    )
    with op.batch_alter_table('legal_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_identities_kept_until'), ['kept_until'],
                              unique=False)


def downgrade():
    # The identities kept for legal records are lost: back up first.
    op.drop_table('legal_identities')
