"""campaign click counters, public archive flag and attachments

Each link of a launched campaign gets a counter row (no member named), a campaign
may be published in the public archive, and may carry files (5 MB in all).

Revision ID: b7c4d2e9a1f3
Revises: 0eab3ef7167b
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'b7c4d2e9a1f3'
down_revision = '0eab3ef7167b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'campaign_links',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('clicks', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_links_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_links')),
        sa.UniqueConstraint('campaign_id', 'position', name='uq_campaign_links_position'),
    )
    op.create_table(
        'campaign_attachments',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=120), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('stored_name', sa.String(length=60), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_attachments_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_attachments')),
    )
    with op.batch_alter_table('campaign_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_attachments_campaign_id'),
                              ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('campaign_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_attachments_campaign_id'))
    op.drop_table('campaign_attachments')
    op.drop_table('campaign_links')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('published')
