"""consent record message

The outbox message whose body held the link a member used to grant or
withdraw a consent: the proof that the act was theirs (issue 12). Earlier
records have none.

Revision ID: b7c41e0d2a93
Revises: f5ea99ec192f
Create Date: 2027-01-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e0d2a93'
down_revision = 'f5ea99ec192f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_consent_records_outbox_message_id_outbox_messages'),
            'outbox_messages', ['outbox_message_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_consent_records_outbox_message_id_outbox_messages'),
            type_='foreignkey')
        batch_op.drop_column('outbox_message_id')
