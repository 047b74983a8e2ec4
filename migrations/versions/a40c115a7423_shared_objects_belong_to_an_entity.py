"""shared objects belong to an entity or to the group

Segments, events, surveys and newsletter editions get an owning entity (issue 12,
finding 6): a referent changes only what belongs to their entities, and sees the
group's objects and their own entities' ones. No entity means the whole group:
every row that exists before this revision becomes group-wide, which is what they
were (admins and referents of all entities keep changing them; nobody loses sight).

Revision ID: a40c115a7423
Revises: 5549dae3661b
Create Date: 2027-01-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a40c115a7423'
down_revision = '5549dae3661b'
branch_labels = None
depends_on = None

TABLES = ('events', 'newsletter_editions', 'segments', 'surveys')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_entity_id'), ['entity_id'],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_entity_id_entities'),
                                        'entities', ['entity_id'], ['id'])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_entity_id_entities'),
                                     type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_entity_id'))
            batch_op.drop_column('entity_id')
