"""organizer sign-ins: an organizer who opens a guest's personal link is on record

Revision ID: f3a9c2d41b07
Revises: e7b3c1d94a20
Create Date: 2026-12-07 01:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f3a9c2d41b07'
down_revision = 'e7b3c1d94a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organizer_sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=True),
    sa.Column('organizer_email', sa.String(length=254), nullable=False),
    sa.Column('signed_in_at', checkin.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'], name=op.f('fk_organizer_sign_ins_attendee_id_attendees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_organizer_sign_ins_organizer_id_organizers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_sign_ins'))
    )
    with op.batch_alter_table('organizer_sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_sign_ins_attendee_id'), ['attendee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('organizer_sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_sign_ins_attendee_id'))
    op.drop_table('organizer_sign_ins')
