"""user rights

Rights an admin grants per user on top of the role: exporting a member's data,
anonymising, reading the consultations journal (RGPD, issue 14).

Revision ID: a7c3e5f1b9d2
Revises: d4f2a9c61e08
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5f1b9d2'
down_revision = 'd4f2a9c61e08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_rights',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.CheckConstraint("kind IN ('export_data', 'anonymise', 'read_audit')",
                           name=op.f('ck_user_rights_kind')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_rights_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_user_rights')),
    )


def downgrade():
    op.drop_table('user_rights')
