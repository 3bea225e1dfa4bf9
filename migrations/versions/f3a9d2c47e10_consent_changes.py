"""consent on record, and cards that outlive the person they are about

Revision ID: f3a9d2c47e10
Revises: f3a9c2d41b07
Create Date: 2026-12-07 01:00:00.000000

A new table, consent_changes: every consent given or withdrawn, with its source and time.
cards.subject_id becomes nullable with ON DELETE SET NULL: a guest who deletes their data
leaves the cards others wrote about them, with the authors' notes and no one named.
Downgrading deletes such cards (the old schema cannot hold a card about no one).
"""
from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f3a9d2c47e10'
down_revision = 'f3a9c2d41b07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=True),
    sa.Column('consent', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('changed_at', checkin.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'], name=op.f('fk_consent_changes_attendee_id_attendees'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_consent_changes_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_changes'))
    )
    with op.batch_alter_table('consent_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_changes_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_changes_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cards_subject_id_attendees', type_='foreignkey')
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_cards_subject_id_attendees'), 'attendees', ['subject_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    op.execute("DELETE FROM cards WHERE subject_id IS NULL")
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cards_subject_id_attendees', type_='foreignkey')
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_cards_subject_id_attendees'), 'attendees', ['subject_id'], ['id'],
            ondelete='CASCADE',
        )

    with op.batch_alter_table('consent_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_changes_event_id'))
        batch_op.drop_index(batch_op.f('ix_consent_changes_attendee_id'))

    op.drop_table('consent_changes')
