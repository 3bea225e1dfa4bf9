"""checkin: door check-in, "who you met" cards and next-morning digests for alumni events."""

from pathlib import Path

from flask import Flask

from . import cli, rate_limits, security, tasks
from .config import Config
from .database import engine_options, tune
from .events import events
from .extensions import csrf, db, htmx, login_manager, migrate
from .operations import local_disk, unavailable
from .privacy import retention
from .registration import places, status


def create_app(config: object | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI commands."""
    app = Flask(
        __name__, instance_path=None, template_folder="../templates", static_folder="../static"
    )
    app.config.from_object(config or Config())
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    htmx.init_app(app)
    with app.app_context():
        tune(db.engine)

    from .accounts import views as accounts_views
    from .associations import views as associations_views
    from .digest import views as digest_views
    from .door import api as door_api
    from .door import views as door_views
    from .events import views as events_views
    from .imports import views as imports_views
    from .mail import invitation_views, reminder_views
    from .mail import views as mail_views
    from .members import picture_views
    from .members import views as members_views
    from .operations import views as operations_views
    from .print import views as print_views
    from .privacy import organizer as privacy_organizer
    from .privacy import views as privacy_views
    from .pwa import views as pwa_views
    from .registration import listing_views as registration_list
    from .registration import settings_views as registration_settings
    from .registration import views as registration_views
    from .registration import waitlist_views
    from .room import cards_api, ticket_page
    from .room import views as room_views

    for module in (
        *(accounts_views, events_views, door_views, ticket_page, door_api, imports_views),
        *(room_views, cards_api, mail_views, digest_views, pwa_views, print_views),
        *(operations_views, privacy_views, privacy_organizer, reminder_views),
        *(registration_views, registration_list, invitation_views, associations_views),
        *(registration_settings, waitlist_views, members_views, picture_views),
    ):
        app.register_blueprint(module.bp)
    csrf.exempt(door_api.bp)  # bearer-token API: no cookies, so no cross-site forgery to guard

    app.add_template_filter(events.when, "local")
    app.add_template_filter(events.clock, "clock")
    app.add_template_filter(retention.deletion_day, "deletion_day")
    app.add_template_filter(retention.day, "deletion_date")
    app.add_template_filter(status.state, "registration_state")
    app.add_template_filter(places.taken, "places_taken")
    security.init_app(app)
    rate_limits.init_app(app)  # after the blueprints (it wraps their views) and the error pages
    unavailable.init_app(app)
    tasks.init_app(app)
    cli.init_app(app)
    local_disk.warn_at_start(app)
    return app
