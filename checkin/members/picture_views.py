"""The association's picture for its team (/teams/<slug>/picture): charts, a table and the
numbers behind each chart as CSV. Anyone on the team may read it, viewers too."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..accounts.users import organizer_required
from ..associations import teams
from ..events import csv_safe, exports
from . import picture

bp = Blueprint("picture", __name__)


@bp.get("/teams/<slug>/picture")
@organizer_required
def page(slug: str):
    """Per event: attendance, connections, introductions; counts only."""
    association, role = teams.association_of(current_user, slug)
    found = picture.rows(association)
    charts = {name: picture.chart(found, name) for name in picture.CHARTS}
    return render_template(
        "members/picture.html",
        association=association,
        role=role,
        rows=found,
        charts=charts,
        titles={name: title for name, (title, _) in picture.CHARTS.items()},
    )


@bp.get("/teams/<slug>/picture/<chart>.csv")
@organizer_required
def numbers(slug: str, chart: str):
    """The numbers behind one chart, as CSV."""
    association, _ = teams.association_of(current_user, slug)
    if chart not in picture.CHARTS:
        abort(404)
    body = list(csv_safe.rows(*picture.csv_rows(picture.rows(association), chart)))
    name = f"{association.slug}-{chart}.csv"
    return exports.attachment(body, "text/csv", name)
