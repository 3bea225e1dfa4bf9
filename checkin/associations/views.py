"""The team page: the association's settings, its members and roles, invitations; and the
invitation link (GET shows it, POST accepts, signing up first when the address is new)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_user

from ..accounts import users
from ..accounts.users import organizer_required
from ..forms import ButtonForm
from ..members import memory
from . import team_invitations, teams
from .forms import InviteForm, JoinForm, RoleForm, SettingsForm

bp = Blueprint("associations", __name__)


@bp.app_template_global()
def may_change() -> bool:
    """For organizer pages: True unless the signed-in organizer is a viewer of this event."""
    return teams.can_change(g.get("role"))


@bp.app_context_processor
def _role_names():
    return {"role_names": teams.ROLE_NAMES}


@bp.get("/teams/<slug>")
@organizer_required
def team(slug: str):
    """The association's team, settings and invitations (owners change them)."""
    association, role = teams.association_of(current_user, slug)
    return _team_page(association, role)


@bp.post("/teams/<slug>/settings")
@organizer_required
def settings(slug: str):
    """Rename the association, change its description."""
    association, role = teams.association_of(current_user, slug, owner=True)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _team_page(association, role, settings_form=form, status=422)
    days = form.forget_members_after_days.data
    teams.update_settings(association, form.name.data, form.description.data, days)
    flash("Saved.")
    return redirect(url_for("associations.team", slug=slug))


@bp.post("/teams/<slug>/invitations")
@organizer_required
def invite(slug: str):
    """Invite someone by email with a role."""
    association, role = teams.association_of(current_user, slug, owner=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            team_invitations.invite(association, current_user, form.email.data, form.role.data)
        except teams.TeamError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            flash(f"Invitation sent to {form.email.data}. The link works for 7 days.")
            return redirect(url_for("associations.team", slug=slug))
    return _team_page(association, role, invite_form=form, status=422)


@bp.post("/teams/<slug>/invitations/<int:invitation_id>/revoke")
@organizer_required
def revoke(slug: str, invitation_id: int):
    """Stop an invitation working."""
    association, _ = teams.association_of(current_user, slug, owner=True)
    found = team_invitations.invitation_of(association, invitation_id)
    if found is None or not ButtonForm().validate_on_submit():
        abort(404 if found is None else 400)
    team_invitations.revoke(found)
    flash(f"The invitation to {found.email} no longer works.")
    return redirect(url_for("associations.team", slug=slug))


@bp.post("/teams/<slug>/members/<int:member_id>/role")
@organizer_required
def change_role(slug: str, member_id: int):
    """Give a member another role (the last owner stays owner)."""
    association, role = teams.association_of(current_user, slug, owner=True)
    found = teams.member(association, member_id)
    form = RoleForm()
    if form.validate_on_submit():
        return _after(lambda: teams.change_role(found, form.role.data), association, role, "Saved.")
    return _team_page(association, role, status=422)


@bp.post("/teams/<slug>/members/<int:member_id>/remove")
@organizer_required
def remove(slug: str, member_id: int):
    """Take someone off the team: their open sessions end (the last owner stays)."""
    association, role = teams.association_of(current_user, slug, owner=True)
    found = teams.member(association, member_id)
    if not ButtonForm().validate_on_submit():
        return _team_page(association, role, status=422)
    name = found.organizer.name or found.organizer.email
    return _after(lambda: teams.remove(found), association, role, f"{name} is off the team.")


@bp.get("/team/join/<token>")
def invitation(token: str):
    """The invitation: who invites, to what, and a button (opening it changes nothing)."""
    found = team_invitations.find(token)
    if found is None:
        abort(404, "This invitation link is not known. Ask the team for a new one.")
    return _invitation_page(found, token)


@bp.post("/team/join/<token>")
def accept(token: str):
    """Accept: as the signed-in organizer, or after signing up with the invited address."""
    found = team_invitations.find(token)
    if found is None:
        abort(404, "This invitation link is not known. Ask the team for a new one.")
    organizer = users.signed_in_organizer()
    form = JoinForm() if organizer is None else ButtonForm()
    if not form.validate_on_submit():
        return _invitation_page(found, token, form, status=422)
    try:
        if organizer is None:
            organizer = _sign_up(found, form)
        team_invitations.accept(found, organizer)
    except (teams.TeamError, users.AccountError) as error:
        return _invitation_page(found, token, form, status=422, error=str(error))
    login_user(organizer, remember=True)
    flash(f"Welcome to the team of {found.association.name}.")
    return redirect(url_for("associations.team", slug=found.association.slug), 303)


def _sign_up(found, form):
    """A new organizer with the invited address, while the invitation is open."""
    if team_invitations.state(found) != "open":
        raise teams.TeamError("This invitation no longer works: ask the team for a new one.")
    return users.create_organizer(found.email, form.password.data, form.name.data)


def _after(change, association, role, done: str):
    """Make a team change; on a TeamError show it on the page (422), else flash and go back."""
    try:
        change()
    except teams.TeamError as error:
        return _team_page(association, role, error=str(error), status=422)
    flash(done)
    if teams.role_in(current_user, association.id) is None:
        return redirect(url_for("events.events"))
    return redirect(url_for("associations.team", slug=association.slug))


def _team_page(association, role, settings_form=None, invite_form=None, error="", status=200):
    """The team page; the forms not being answered start empty."""
    return render_template(
        "associations/team.html",
        association=association,
        role=role,
        members=teams.members(association),
        invitations=team_invitations.open_invitations(association) if role == "owner" else [],
        settings_form=settings_form or _settings_form(association),
        invite_form=invite_form or InviteForm(formdata=None),
        role_form=RoleForm,
        button=ButtonForm(formdata=None),
        error=error,
    ), status


def _settings_form(association):
    """The settings form filled from the association (and its members' retention)."""
    days = memory.forget_after_days(association)
    return SettingsForm(formdata=None, obj=association, forget_members_after_days=days)


def _invitation_page(found, token, form=None, status=200, error=""):
    organizer = users.signed_in_organizer()
    form = form or (JoinForm(formdata=None) if organizer is None else ButtonForm(formdata=None))
    page = render_template(
        "associations/invitation.html",
        invitation=found,
        token=token,
        state=team_invitations.state(found),
        organizer=organizer,
        known=users.find_by_email(found.email) is not None,
        form=form,
        error=error,
    )
    return page, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
