"""campaign letters on the timeline

A letter recipient of a campaign records when their letter was marked as posted
and the "courrier" moment written on their timeline (once).

Revision ID: e5b81c7d2f40
Revises: c9e5a7b3d1f4
Create Date: 2026-12-03 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'e5b81c7d2f40'
down_revision = 'c9e5a7b3d1f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_dt', coopcrm.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('moment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_campaign_recipients_moment_id_moments'),
                                    'moments', ['moment_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaign_recipients_moment_id_moments'),
                                 type_='foreignkey')
        batch_op.drop_column('moment_id')
        batch_op.drop_column('letter_dt')
