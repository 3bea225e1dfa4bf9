"""The team page: settings, invitations by email (real SMTP on loopback), roles, removals that end
sessions, and the last owner who stays."""

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import select

from checkin.accounts import users
from checkin.associations import team_invitations, teams
from checkin.extensions import db
from checkin.models import Association, Membership, TeamInvitation, utcnow


def team_url(world) -> str:
    return f"/teams/{world['a']['association_slug']}"


def invite(client, token, world, email="nia@example.org", role="organizer"):
    """Olga's invitation form, as posted."""
    data = {"csrf_token": token, "email": email, "role": role}
    return client.post(f"{team_url(world)}/invitations", data=data)


def link_in(message) -> str:
    """The invitation link's path, from the plain-text part of the email."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/team/join/\S+)", text).group(1)


@pytest.fixture
def olga(two_teams, signed_in_as):
    """Olga, owner of association A, signed in: (client, CSRF token)."""
    return signed_in_as("olga@example.org")


def test_the_owner_sees_members_roles_and_forms(two_teams, olga):
    """Olga's team page lists Olga, Otto and Vera with their roles' forms, and the invite form."""
    client, _ = olga
    page = client.get(team_url(two_teams)).get_data(as_text=True)
    for text in ("(you)", "otto@example.org", "vera@example.org", "Send invitation", "Change role"):
        assert text in page


def test_an_invitation_is_emailed_and_its_token_stored_hashed(
    app, two_teams, olga, inbox, smtp_url
):
    """The invitation goes by SMTP as text and HTML, with a link whose token the database only
    holds as a hash; the page lists it as waiting."""
    client, token = olga
    assert invite(client, token, two_teams).status_code == 302
    [message] = inbox.messages
    assert message["To"] == "nia@example.org" and "Join olga@example.org" in message["Subject"]
    assert message.get_body(("html",)) is not None
    path = link_in(message)
    secret = path.rsplit("/", 1)[-1]
    with app.app_context():
        stored = db.session.scalar(select(TeamInvitation))
        assert secret not in repr([getattr(stored, c.key) for c in TeamInvitation.__table__.c])
        assert stored.expires_at - stored.created_at == timedelta(days=7)
    assert "nia@example.org" in client.get(team_url(two_teams)).get_data(as_text=True)


def test_opening_the_link_changes_nothing_and_signing_up_joins(
    app, two_teams, olga, inbox, smtp_url
):
    """GET shows the invitation and a sign-up form and adds no one; the POST makes Nia's account,
    puts her on the team as organizer, and signs her in; a second POST changes nothing more."""
    client, token = olga
    invite(client, token, two_teams)
    path = link_in(inbox.messages[0])
    nia = app.test_client()
    page = nia.get(path)
    assert page.status_code == 200 and "Sign up and join" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert users.find_by_email("nia@example.org") is None
    data = {"csrf_token": csrf_token(nia, path), "name": "Nia", "password": PASSWORD}
    reply = nia.post(path, data=data)
    assert reply.status_code == 303 and reply.location == team_url(two_teams)
    assert nia.get(f"/events/{two_teams['a']['slug']}/edit").status_code == 200
    again = nia.post(path, data={"csrf_token": csrf_token(nia, "/events")})
    assert again.status_code == 303
    with app.app_context():
        nia_id = users.find_by_email("nia@example.org").id
        roles = db.session.scalars(select(Membership.role).where(Membership.organizer_id == nia_id))
        assert sorted(roles) == ["organizer", "owner"]  # Olga's team, and her own association


def test_a_known_organizer_signs_in_then_accepts(app, two_teams, olga, sign_in, inbox, smtp_url):
    """Bea (she has an account) is sent to sign in, comes back, and joins as viewer."""
    client, token = olga
    invite(client, token, two_teams, email="bea@example.org", role="viewer")
    path = link_in(inbox.messages[0])
    bea = app.test_client()
    assert "Sign in as bea@example.org" in bea.get(path).get_data(as_text=True)
    sign_in(email="bea@example.org", test_client=bea)
    assert bea.post(path, data={"csrf_token": csrf_token(bea, path)}).status_code == 303
    with app.app_context():
        assert (
            teams.role_in(users.find_by_email("bea@example.org"), two_teams["a"]["association_id"])
            == "viewer"
        )


def test_someone_else_signed_in_cannot_accept(app, two_teams, olga, inbox, smtp_url):
    """Otto, signed in, opening an invitation meant for Nia is told so and cannot take it."""
    client, token = olga
    invite(client, token, two_teams)
    path = link_in(inbox.messages[0])
    assert "this invitation is for nia@example.org" in client.get(path).get_data(as_text=True)
    reply = client.post(path, data={"csrf_token": token})
    assert reply.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(TeamInvitation.accepted_at)) is None


@pytest.mark.parametrize("ended", ["expired", "revoked"])
def test_an_ended_invitation_does_not_join(app, two_teams, olga, inbox, smtp_url, ended):
    """An invitation past its 7 days, or cancelled, shows why and its POST adds no one."""
    client, token = olga
    invite(client, token, two_teams)
    path = link_in(inbox.messages[0])
    with app.app_context():
        stored = db.session.scalar(select(TeamInvitation))
        if ended == "expired":
            stored.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
        else:
            page = client.post(
                f"{team_url(two_teams)}/invitations/{stored.id}/revoke", data={"csrf_token": token}
            )
            assert page.status_code == 302
    nia = app.test_client()
    assert ("has expired" if ended == "expired" else "was cancelled") in nia.get(path).get_data(
        as_text=True
    )
    data = {"csrf_token": csrf_token(nia, path), "name": "Nia", "password": PASSWORD}
    assert nia.post(path, data=data).status_code == 422
    with app.app_context():
        assert users.find_by_email("nia@example.org") is None


def test_an_unknown_invitation_link_is_not_found(client):
    """A made-up token gets 404."""
    assert client.get("/team/join/NOTAREALTOKEN").status_code == 404


def test_inviting_a_member_or_a_bad_address_shows_the_form_again(two_teams, olga):
    """Otto is already on the team; "not-an-email" is no address: 422 with the reason."""
    client, token = olga
    reply = invite(client, token, two_teams, email="otto@example.org")
    assert reply.status_code == 422 and "already on the team" in reply.get_data(as_text=True)
    assert invite(client, token, two_teams, email="not-an-email").status_code == 422


def test_the_owner_changes_a_role(app, two_teams, olga, signed_in_as):
    """Vera made organizer can edit the event at once."""
    client, token = olga
    url = f"{team_url(two_teams)}/members/{two_teams['vera']}/role"
    assert client.post(url, data={"csrf_token": token, "role": "organizer"}).status_code == 302
    vera, _ = signed_in_as("vera@example.org")
    assert vera.get(f"/events/{two_teams['a']['slug']}/edit").status_code == 200


def test_the_last_owner_can_neither_leave_nor_be_demoted(app, two_teams, olga):
    """Olga, the only owner, gets 422 with the reason, and stays owner."""
    client, token = olga
    with app.app_context():
        mine = db.session.scalar(
            select(Membership.id)
            .join(Association)
            .where(
                Association.slug == two_teams["a"]["association_slug"], Membership.role == "owner"
            )
        )
    base = f"{team_url(two_teams)}/members/{mine}"
    demoted = client.post(f"{base}/role", data={"csrf_token": token, "role": "viewer"})
    assert demoted.status_code == 422 and "needs an owner" in demoted.get_data(as_text=True)
    assert client.post(f"{base}/remove", data={"csrf_token": token}).status_code == 422
    with app.app_context():
        assert db.session.get(Membership, mine).role == "owner"


def test_removing_someone_ends_their_sessions(app, two_teams, olga, signed_in_as, sign_in):
    """Otto is signed in; Olga removes him. His next request is sent to sign in; signed in again
    he finds neither the event nor the team, while his own association still works."""
    otto, _ = signed_in_as("otto@example.org")
    event = f"/events/{two_teams['a']['slug']}"
    assert otto.get(event).status_code == 200
    client, token = olga
    reply = client.post(
        f"{team_url(two_teams)}/members/{two_teams['otto']}/remove", data={"csrf_token": token}
    )
    assert reply.status_code == 302
    gone = otto.get(event)
    assert gone.status_code == 302 and gone.location.startswith("/sign-in")
    assert sign_in(email="otto@example.org", test_client=otto).status_code == 302
    assert otto.get(event).status_code == 404
    assert otto.get(team_url(two_teams)).status_code == 404
    assert "Alpha Reunion" not in otto.get("/events").get_data(as_text=True)
    assert client.get(event).status_code == 200  # Olga's own session goes on


def test_the_owner_renames_the_association(app, two_teams, olga):
    """The new name shows on the team page; an empty name is refused with 422."""
    client, token = olga
    url = f"{team_url(two_teams)}/settings"
    assert (
        client.post(
            url, data={"csrf_token": token, "name": "Class of '09", "description": "Our chapter"}
        ).status_code
        == 302
    )
    assert "Class of &#39;09" in client.get(team_url(two_teams)).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "name": ""}).status_code == 422


def test_sign_up_makes_a_personal_association(app):
    """A new organizer owns an association of their own, named after them."""
    with app.app_context():
        organizer = users.create_organizer("new@example.org", PASSWORD, "Noor")
        [membership] = teams.memberships_of(organizer)
        assert (membership.role, membership.association.name) == ("owner", "Noor's events")


def test_a_session_from_before_generations_still_works(app, two_teams, client):
    """A session id saved as "organizer:<id>" (before generations) is generation 0."""
    with app.app_context():
        olga_id = users.find_by_email("olga@example.org").id
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = f"organizer:{olga_id}", True
    assert client.get(f"/events/{two_teams['a']['slug']}").status_code == 200


def test_invitations_are_scoped_to_their_association(app, two_teams):
    """B's owner cannot revoke A's invitation through B's team (the id is not B's)."""
    with app.app_context():
        olga = users.find_by_email("olga@example.org")
        a = db.session.get(Association, two_teams["a"]["association_id"])
        b = db.session.get(Association, two_teams["b"]["association_id"])
        invitation = team_invitations.invite(a, olga, "nia@example.org", "viewer")
        assert team_invitations.invitation_of(b, invitation.id) is None
        assert team_invitations.invitation_of(a, invitation.id).id == invitation.id


def test_the_owner_sets_how_long_members_are_remembered(app, two_teams, olga):
    """forget_members_after_days is saved in the association's settings; 5 days is refused."""
    client, token = olga
    url = f"{team_url(two_teams)}/settings"
    page = client.get(team_url(two_teams)).get_data(as_text=True)
    assert 'name="forget_members_after_days"' in page and 'value="730"' in page
    data = {"csrf_token": token, "name": "Alpha", "forget_members_after_days": "90"}
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        association = db.session.scalar(select(Association).where(Association.name == "Alpha"))
        assert association.settings["forget_members_after_days"] == 90
    data["forget_members_after_days"] = "5"
    assert client.post(url, data=data).status_code == 422
