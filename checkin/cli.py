"""Command-line entry points: thin wrappers around the domain functions."""

import json
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from . import demo
from .accounts import users
from .events import events
from .extensions import db
from .models import Event
from .operations import backups


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app checkin`."""
    app.cli.add_command(create_organizer)
    app.cli.add_command(demo_command)
    app.cli.add_command(import_guests)
    app.cli.add_command(links_command)
    app.cli.add_command(send_digests)
    app.cli.add_command(badges_command)
    app.cli.add_command(backup_command)


@click.command("create-organizer")
@with_appcontext
@click.argument("email")
@click.option("--name", default="")
@click.password_option()
def create_organizer(email: str, name: str, password: str) -> None:
    """Create an organizer account."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
        organizer = users.create_organizer(email, password, name)
    except EmailNotValidError as error:
        raise click.ClickException(f"That is not an email address: {error}") from error
    except users.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created organizer {organizer.email}.")


@click.command("demo")
@with_appcontext
@click.option("--guests", default=120, show_default=True, help="How many guests to invent.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--if-empty", is_flag=True, help="Only if the database has no event yet.")
@click.option("--seed", type=int, default=None, help="Make the invented guests repeatable.")
def demo_command(guests: int, as_json: bool, if_empty: bool, seed: int | None) -> None:
    """Create a demo event with realistic alumni and print how to use it."""
    info = None
    if if_empty and db.session.scalar(select(Event.id).limit(1)) is not None:
        info = demo.existing_demo()
        if info is None:
            click.echo("The database already has events; no demo created.")
            return
    info = info or demo.create_demo(guests, seed)
    click.echo(
        json.dumps(info, ensure_ascii=False, indent=None if as_json else 2)
        if as_json
        else _readable(info)
    )


def _readable(info: dict) -> str:
    first = info["guests"][0] if info["guests"] else None
    lines = [
        f"Demo event: {info['event']['name']}",
        f"  Organizer page: {info['event']['url']}",
        f"  Public page (registration): {info['event']['public_url']}",
        f"  Sign in as {info['organizer']['email']} with password {info['organizer']['password']}",
        f"  Door link (open it on a phone): {info['door']['url']}",
        f"  Next-morning digest (preview, send now): {info['event']['url']}/digest",
        f"  Badges and the door poster (PDF): {info['event']['url']}/badges",
        f"  {len(info['guests'])} guests.",
    ]
    if first:
        lines.append(
            f"  A ticket to try at the door (its QR shows to the signed-in organizer; or type the "
            f"code into the door page): {first['name']}: {first['ticket_url']}"
        )
    guest = next((a for a in info["guests"] if a["consents"]["findable"]), first)
    if guest:
        lines.append(
            f"  The event app as a guest (personal link): {guest['name']}: {guest['login_url']}"
        )
    return "\n".join(lines)


@click.command("import-guests")
@with_appcontext
@click.argument("slug")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=field",
    help="Put a column (header or number) into a field, e.g. --map 'Cell=extra'.",
)
@click.option("--commit", is_flag=True, help="Add the guests; without it nothing is written.")
@click.option(
    "--keep-extra",
    is_flag=True,
    help="Keep the columns mapped to extra (and status) with each guest; dropped without it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def import_guests(
    slug: str, path: str, maps: tuple[str, ...], commit: bool, keep_extra: bool, as_json: bool
) -> None:
    """Preview a guest-list CSV for the event SLUG, and with --commit import it."""
    from .imports import guest_list, storage
    from .imports.files import FileProblem

    event = events.by_slug(slug)
    if event is None:
        if as_json:
            click.echo(json.dumps({"error": f"No event with the slug {slug!r}."}))
        raise click.ClickException(f"No event with the slug {slug!r}.")
    try:
        with open(path, "rb") as file:
            report = storage.import_file(event, file.read(), list(maps), commit, keep_extra)
    except (FileProblem, ValueError, guest_list.ImportRefused) as problem:
        if as_json:
            click.echo(json.dumps({"error": str(problem)}, ensure_ascii=False))
        raise click.ClickException(str(problem)) from problem
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else _readable_import(report))


def _readable_import(report: dict) -> str:
    """A guest-list preview for a person to read."""
    lines = [
        f"{report['rows']} rows ({report['encoding']}, {report['delimiter']}-separated).",
        "Columns:",
    ]
    lines += [f"  {c['column']} -> {c['field']}" for c in report["columns"]]
    lines += [f"! {text}" for text in report["problems"] + report["warnings"]]
    lines.append(f"First {len(report['preview'])} of {report['valid']} guests to import:")
    lines += [
        f"  row {g['row']}: {g['name']} <{g['email']}> {g['class_year'] or ''}".rstrip()
        for g in report["preview"]
    ]
    lines.append(
        f"Would import {report['valid']}; {len(report['errors'])} with errors, "
        f"{len(report['duplicates'])} duplicates, {len(report['skipped'])} "
        "refunded or transferred."
    )
    for label, key in (("error", "errors"), ("duplicate", "duplicates"), ("skipped", "skipped")):
        lines += [f"  {label}: row {i['row']}: {i['message']}" for i in report[key]]
    if "created" in report:
        lines.append(f"Imported {report['created']} guests.")
    else:
        lines.append("Nothing written: run again with --commit to import.")
    return "\n".join(lines)


@click.command("links")
@with_appcontext
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def links_command(slug: str, as_json: bool) -> None:
    """List each guest of the event SLUG with their ticket and personal link."""
    from .events import tickets
    from .models import Guest

    event = events.by_slug(slug)
    if event is None:
        raise click.ClickException(f"No event with the slug {slug!r}.")
    people = db.session.scalars(
        select(Guest).where(Guest.event_id == event.id).order_by(Guest.id)
    ).all()
    codes = tickets.codes_of_event(event.id)
    entries = demo.guest_entries(event, [p for p in people if p.id in codes], codes)
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False))
    else:
        click.echo("\n".join(f"{e['name']} <{e['email']}>: {e['login_url']}" for e in entries))


@click.command("send-digests")
@with_appcontext
@click.option("--event", "slug", metavar="SLUG", help="Only this event (default: every event).")
@click.option(
    "--now", "at_once", is_flag=True, help="Send this event's digests now, whatever the time."
)
def send_digests(slug: str | None, at_once: bool) -> None:
    """Send the next-morning digests that are due, and print what became of them."""
    from .mail import digest_outbox, outbox

    if at_once and not slug:
        raise click.UsageError("--now sends one event's digests: name it with --event SLUG.")
    event = events.by_slug(slug) if slug else None
    if slug and event is None:
        raise click.ClickException(f"No event with the slug {slug!r}.")
    # What a stopped sender left behind, a while ago (tickets are the worker's to recover).
    uncertain = outbox.recover(kinds=("digest", "introduction"))
    counts = digest_outbox.send_now(event) if at_once else digest_outbox.send_due(event=event)
    counts.uncertain += uncertain
    click.echo(counts.line())


@click.command("badges")
@with_appcontext
@click.argument("slug")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF to write.")
@click.option("--layout", default="letter-6", show_default=True, help="letter-6, a6-4 or label.")
def badges_command(slug: str, out: str, layout: str) -> None:
    """Write a badge for everyone on the event SLUG's guest list to a PDF."""
    import time

    from .print import badges

    event = events.by_slug(slug)
    if event is None:
        raise click.ClickException(f"No event with the slug {slug!r}.")
    try:
        sheet = badges.layout_of(layout)
    except badges.UnknownLayout as error:
        raise click.ClickException(str(error)) from error
    started = time.perf_counter()
    people = badges.guest_list(event)
    if not people:
        raise click.ClickException(f"{event.name} has nobody on its guest list yet.")
    pdf = badges.render_badges(people, event, layout)
    try:
        with open(out, "wb") as file:
            file.write(pdf)
    except OSError as error:
        raise click.ClickException(f"Could not write {out}: {error.strerror}.") from error
    click.echo(
        f"Wrote {len(people)} badges on {sheet.pages_for(len(people))} pages ({layout}) "
        f"to {out} in {time.perf_counter() - started:.1f} s."
    )


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the database to FILE while the app runs (SQLite online backup, or pg_dump)."""
    try:
        how = backups.back_up(db.engine.url, file)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the database to {file} ({how}).")
    click.echo("Keep SECRET_KEY with it: without that key no ticket or link in it works.")
