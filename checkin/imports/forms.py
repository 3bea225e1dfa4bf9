"""The guest-list upload form (it carries its CSRF token)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class GuestListForm(FlaskForm):
    """A guest-list file to preview before anything is imported."""

    file = FileField(
        "Guest list file (CSV)",
        validators=[FileRequired("Choose a CSV file.")],
        description="An Eventbrite or Google Forms export, or any spreadsheet saved "
        "as CSV, up to 10 MB.",
    )
