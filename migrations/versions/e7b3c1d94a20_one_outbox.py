"""one outbox: ticket emails become outbox rows of kind "ticket"

Revision ID: e7b3c1d94a20
Revises: d2c3ea69a65a
Create Date: 2026-12-06 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e7b3c1d94a20'
down_revision = 'd2c3ea69a65a'
branch_labels = None
depends_on = None

# A ticket row keeps the nonce of the press that queued it; rows queued with none get a batch
# of their own, since (event, attendee, kind, batch) is unique. Downgrading gives them "" back.
UNBATCHED = "ticket_mails:"


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sa.String(length=64), server_default='', nullable=False))
        batch_op.drop_constraint('uq_outbox_event_id_attendee_id_kind', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_outbox_event_id_attendee_id_kind_batch'),
            ['event_id', 'attendee_id', 'kind', 'batch'],
        )
        batch_op.create_index('ix_outbox_event_batch', ['event_id', 'batch'], unique=False)

    # Statuses keep their names: queued, sending (the worker's recovery sends it again), sent
    # and failed; anything else fails, with its error kept as the reason.
    op.execute(
        f"""
        INSERT INTO outbox (event_id, attendee_id, kind, batch, recipient, status, reason,
                            attempts, message_id, queued_at, claimed_at, sent_at)
        SELECT event_id, attendee_id, 'ticket',
               CASE WHEN batch = '' THEN '{UNBATCHED}' || CAST(id AS VARCHAR(20)) ELSE batch END,
               recipient,
               CASE WHEN status IN ('queued', 'sending', 'sent', 'failed') THEN status
                    ELSE 'failed' END,
               error,
               CASE WHEN status = 'queued' THEN 0 ELSE 1 END,
               '', queued_at, claimed_at, sent_at
        FROM ticket_mails ORDER BY id
        """
    )
    with op.batch_alter_table('ticket_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_mails_event_batch')
        batch_op.drop_index('ix_ticket_mails_event_attendee')
    op.drop_table('ticket_mails')


def downgrade():
    op.create_table('ticket_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), server_default='', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('error', sa.Text(), server_default='', nullable=False),
    sa.Column('batch', sa.String(length=64), server_default='', nullable=False),
    sa.Column('queued_at', checkin.models.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', checkin.models.UTCDateTime(), nullable=True),
    sa.Column('sent_at', checkin.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'], name=op.f('fk_ticket_mails_attendee_id_attendees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_ticket_mails_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_mails'))
    )
    with op.batch_alter_table('ticket_mails', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_mails_event_attendee', ['event_id', 'attendee_id'], unique=False)
        batch_op.create_index('ix_ticket_mails_event_batch', ['event_id', 'batch'], unique=False)

    # The old table knew queued, sending, sent and failed: a skipped ticket (its address
    # bounced) goes back as failed, with its reason.
    op.execute(
        f"""
        INSERT INTO ticket_mails (event_id, attendee_id, recipient, status, error, batch,
                                  queued_at, claimed_at, sent_at)
        SELECT event_id, attendee_id, recipient,
               CASE WHEN status IN ('queued', 'sending', 'sent', 'failed') THEN status
                    ELSE 'failed' END,
               reason,
               CASE WHEN batch LIKE '{UNBATCHED}%' THEN '' ELSE batch END,
               queued_at, claimed_at, sent_at
        FROM outbox WHERE kind = 'ticket' ORDER BY id
        """
    )
    op.execute("DELETE FROM outbox WHERE kind = 'ticket'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_event_batch')
        batch_op.drop_constraint('uq_outbox_event_id_attendee_id_kind_batch', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_outbox_event_id_attendee_id_kind'), ['event_id', 'attendee_id', 'kind']
        )
        batch_op.drop_column('batch')
