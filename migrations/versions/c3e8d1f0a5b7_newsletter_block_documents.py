"""newsletter block documents

Issues and editions get `body`, the block editor's document (JSON). Content
written before it keeps its columns and renders as before until it is saved
from the block editor; nothing is converted here.

Revision ID: c3e8d1f0a5b7
Revises: a40c115a7423
Create Date: 2027-02-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8d1f0a5b7'
down_revision = 'a40c115a7423'
branch_labels = None
depends_on = None

TABLES = ('newsletter_issues', 'newsletter_editions')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('body', sa.JSON(), nullable=True))


def downgrade():
    # Content saved from the block editor lives in `body` only (its older fields were
    # emptied): going back loses it. Back up first.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('body')
