"""registrations: alumni sign up on the public page; capacity, waitlist and cancellations

Revision ID: a25bdc62699e
Revises: f3a8d2b6c410
Create Date: 2026-12-07 03:38:15.110058

"""
from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a25bdc62699e'
down_revision = 'f3a8d2b6c410'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('consents', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', checkin.models.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', checkin.models.UTCDateTime(), nullable=True),
    sa.Column('offered_at', checkin.models.UTCDateTime(), nullable=True),
    sa.Column('offer_expires_at', checkin.models.UTCDateTime(), nullable=True),
    sa.Column('decided_at', checkin.models.UTCDateTime(), nullable=True),
    sa.Column('attendee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'], name=op.f('fk_registrations_attendee_id_attendees'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registrations_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('event_id', 'email', name=op.f('uq_registrations_event_id_email')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registrations_token_hash'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index('ix_registrations_event_status', ['event_id', 'status'], unique=False)

    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', checkin.models.UTCDateTime(), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration', sa.String(length=10), server_default='off', nullable=False))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('registration_deadline', checkin.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('approval_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('registration_questions', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('offer_hours', sa.Integer(), server_default='48', nullable=False))



def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('offer_hours')
        batch_op.drop_column('description')
        batch_op.drop_column('registration_questions')
        batch_op.drop_column('approval_required')
        batch_op.drop_column('registration_deadline')
        batch_op.drop_column('capacity')
        batch_op.drop_column('registration')

    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_event_status')
        batch_op.drop_index(batch_op.f('ix_registrations_attendee_id'))

    op.drop_table('registrations')
