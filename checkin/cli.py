"""Command-line entry points: thin wrappers around the domain functions."""

import json

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from . import accounts, demo
from .extensions import db
from .models import Event


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app checkin`."""
    app.cli.add_command(create_organizer)
    app.cli.add_command(demo_command)


@click.command("create-organizer")
@with_appcontext
@click.argument("email")
@click.option("--name", default="")
@click.password_option()
def create_organizer(email: str, name: str, password: str) -> None:
    """Create an organizer account."""
    try:
        accounts.create_organizer(email, password, name)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created organizer {email}.")


@click.command("demo")
@with_appcontext
@click.option("--attendees", default=120, show_default=True, help="How many guests to invent.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--if-empty", is_flag=True, help="Only if the database has no event yet.")
@click.option("--seed", type=int, default=None, help="Make the invented guests repeatable.")
def demo_command(attendees: int, as_json: bool, if_empty: bool, seed: int | None) -> None:
    """Create a demo event with realistic alumni and print how to use it."""
    info = None
    if if_empty and db.session.scalar(select(Event.id).limit(1)) is not None:
        info = demo.existing_demo()
        if info is None:
            click.echo("The database already has events; no demo created.")
            return
    info = info or demo.create_demo(attendees, seed)
    click.echo(json.dumps(info, ensure_ascii=False, indent=None if as_json else 2)
               if as_json else _readable(info))


def _readable(info: dict) -> str:
    first = info["attendees"][0] if info["attendees"] else None
    lines = [
        f"Demo event: {info['event']['name']}",
        f"  Organizer page: {info['event']['url']}",
        f"  Sign in as {info['organizer']['email']} with password {info['organizer']['password']}",
        f"  Door link (open it on a phone): {info['door']['url']}",
        f"  {len(info['attendees'])} attendees.",
    ]
    if first:
        lines.append(f"  A ticket to try at the door: {first['name']}: {first['ticket_url']}")
    return "\n".join(lines)
