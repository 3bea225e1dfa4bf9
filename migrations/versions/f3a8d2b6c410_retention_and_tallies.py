"""retention: each event's retention period and purge time, and the counts kept after a purge

Revision ID: f3a8d2b6c410
Revises: f3a9d2c47e10
Create Date: 2026-12-07 01:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f3a8d2b6c410'
down_revision = 'f3a9d2c47e10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), server_default='180', nullable=False))
        batch_op.add_column(sa.Column('purged_at', checkin.models.UTCDateTime(), nullable=True))

    op.create_table('event_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('guests', sa.Integer(), nullable=False),
    sa.Column('came', sa.Integer(), nullable=False),
    sa.Column('arrivals', sa.JSON(), nullable=False),
    sa.Column('cards', sa.Integer(), nullable=False),
    sa.Column('mutual', sa.Integer(), nullable=False),
    sa.Column('digests_sent', sa.Integer(), nullable=False),
    sa.Column('counted_at', checkin.models.UTCDateTime(), nullable=False),
    sa.Column('purged_at', checkin.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_tallies_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_tallies')),
    sa.UniqueConstraint('event_id', name=op.f('uq_event_tallies_event_id'))
    )


def downgrade():
    op.drop_table('event_tallies')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('retention_days')
