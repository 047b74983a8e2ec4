"""campaign kit and letter tasks: the milestone a kit campaign announces, and the letters
PDF laid out by the scheduler process (issue 13)

Revision ID: a7c4e2b9d013
Revises: b7c4d2e9a1f3
Create Date: 2026-12-03 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import coopcrm.models


# revision identifiers, used by Alembic.
revision = 'a7c4e2b9d013'
down_revision = 'b7c4d2e9a1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_milestones',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('residence_id', sa.Integer(), nullable=True),
    sa.Column('milestone', sa.String(length=20), nullable=False),
    sa.CheckConstraint("milestone IN ('demarrage', 'fondations', 'hors_d_eau', 'hors_d_air', 'achevement', 'livraison', 'levee_reserves')", name=op.f('ck_campaign_milestones_milestone')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_milestones_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['residence_id'], ['residences.id'], name=op.f('fk_campaign_milestones_residence_id_residences'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_milestones'))
    )
    with op.batch_alter_table('campaign_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_milestones_residence_id'), ['residence_id'], unique=False)

    op.create_table('letter_tasks',
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('result_fr', sa.Text(), nullable=False),
    sa.Column('error_fr', sa.Text(), nullable=False),
    sa.Column('started_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', coopcrm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('letters', 'labels')", name=op.f('ck_letter_tasks_kind')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name=op.f('ck_letter_tasks_status')),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_letter_tasks_entity_id_entities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_letter_tasks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_tasks'))
    )
    with op.batch_alter_table('letter_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_tasks_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_tasks_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_tasks_expires_dt'), ['expires_dt'], unique=False)
        batch_op.create_index('ix_letter_tasks_source', ['source', 'source_id', 'kind', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('letter_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_tasks_source')
        batch_op.drop_index(batch_op.f('ix_letter_tasks_expires_dt'))
        batch_op.drop_index(batch_op.f('ix_letter_tasks_user_id'))
        batch_op.drop_index(batch_op.f('ix_letter_tasks_status'))
    op.drop_table('letter_tasks')
    with op.batch_alter_table('campaign_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_milestones_residence_id'))
    op.drop_table('campaign_milestones')
