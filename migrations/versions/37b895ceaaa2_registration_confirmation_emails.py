"""registration confirmation emails: when the latest was sent and how many were tried

Revision ID: 37b895ceaaa2
Revises: a25bdc62699e
Create Date: 2026-12-07 03:41:51.048782

"""

from alembic import op
import sqlalchemy as sa

import checkin.models  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = "37b895ceaaa2"
down_revision = "a25bdc62699e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirmation_sent_at", checkin.models.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("confirmation_attempts", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("confirmation_attempts")
        batch_op.drop_column("confirmation_sent_at")
