"""checkin: door check-in, "who you met" cards and next-morning digests for alumni events."""

from pathlib import Path

from flask import Flask

from . import cli, events, local_disk, rate_limits, security, tasks, unavailable
from .config import Config
from .database import engine_options, tune
from .extensions import csrf, db, htmx, login_manager, migrate


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

    from .views import (
        api,
        attendee,
        auth,
        badges,
        cards_api,
        digest,
        digest_links,
        door,
        door_badges,
        exports,
        health,
        imports,
        links,
        mail,
        organizer,
        pwa,
        tickets,
    )

    blueprints = (auth, organizer, door, tickets, api, imports, attendee, cards_api, links, mail)
    for module in (*blueprints, digest, digest_links, exports, pwa, badges, door_badges, health):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # bearer-token API: no cookies, so no cross-site forgery to guard

    app.add_template_filter(events.when, "local")
    app.add_template_filter(events.clock, "clock")
    security.init_app(app)
    unavailable.init_app(app)
    rate_limits.init_app(app)  # after the blueprints (it wraps their views) and the error pages
    tasks.init_app(app)
    cli.init_app(app)
    local_disk.warn_at_start(app)
    return app
