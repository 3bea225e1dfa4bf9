"""What a digest says: who you met (mutual first), your own notes only, reasons and contact details
only where allowed and read fresh, who waits for you, your promises, who to still meet."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from conftest import REUNION_DAY
from sqlalchemy import update

from checkin.accounts import personal_links
from checkin.digest import content
from checkin.extensions import db
from checkin.mail import links, messages
from checkin.models import Card, Event, Guest, utcnow
from checkin.room import cards

HALL = "Watson Hall"


@pytest.fixture
def hallmates(app, make_event, make_guest, set_guest):
    """Ada and the people around her at Fall Reunion, plus Edsger at another event.

    Everyone shares Ada's hall (so matching has reasons), is checked in, findable, shares
    contact details and asked for the digest, unless said otherwise.
    """
    slug = make_event("Fall Reunion")

    def add(name, slug=slug, checked_in=True, findable=True, share=True, **profile):
        first = name.split()[0].lower()
        attendee_id, _ = make_guest(slug, name, email=f"{first}@example.org")
        profile.setdefault("residence_hall", HALL)
        set_guest(
            attendee_id,
            checked_in=checked_in,
            consent_findable=findable,
            consent_share_contact=share,
            consent_digest=True,
            **profile,
        )
        return attendee_id

    return {
        "ada": add("Ada Lovelace", wants_help_with="product management"),
        "grace": add(
            "Grace Hopper",
            role="Rear Admiral",
            employer="US Navy",
            can_help_with="PM",
            linkedin_url="https://www.linkedin.com/in/grace",
        ),
        "alan": add("Alan Turing", findable=False, role="Codebreaker", employer="Bletchley"),
        "barbara": add("Barbara Liskov", share=False, employer="MIT"),
        "donald": add("Donald Knuth", employer="Stanford"),
        "katherine": add("Katherine Johnson", employer="NASA"),
        "margaret": add("Margaret Hamilton", employer="MIT"),
        "frances": add("Frances Allen", checked_in=False),
        "radia": add("Radia Perlman", findable=False),
        "edsger": add("Edsger Dijkstra", slug=make_event("Spring Gala", email="b@example.org")),
    }


def person(attendee_id) -> Guest:
    return db.session.get(Guest, attendee_id)


def meet(party, author, subject, note="", tags=(), starred=False) -> None:
    """author records meeting subject."""
    me, other = person(party[author]), person(party[subject])
    cards.record(me, other, uuid.uuid4().hex, note=note, tags=list(tags), starred=starred)


def build(party, name="ada"):
    """Ada's (or name's) digest, built as the sender would."""
    reader = person(party[name])
    return content.Builder(db.session.get(Event, reader.event_id)).build(reader)


def names(entries) -> list[str]:
    return [e.name for e in entries]


def test_people_met_come_mutual_first_then_starred_then_in_order(ctx, hallmates):
    """Donald (met first), Katherine (starred), Grace (mutual): Grace, Katherine, Donald."""
    meet(hallmates, "ada", "donald")
    meet(hallmates, "ada", "katherine", starred=True)
    meet(hallmates, "ada", "grace")
    meet(hallmates, "grace", "ada")
    d = build(hallmates)
    assert names(d.met) == ["Grace Hopper", "Katherine Johnson", "Donald Knuth"]
    assert [e.mutual for e in d.met] == [True, False, False]


def test_a_findable_person_met_shows_work_and_reasons(ctx, hallmates):
    """Grace is findable: her role, employer and why Ada and she should talk."""
    meet(hallmates, "ada", "grace")
    (grace,) = build(hallmates).met
    assert grace.work == "Rear Admiral at US Navy"
    assert set(grace.reasons) == {
        f"You both lived in {HALL}",
        "Grace can help with product management",
        "Both class of 2009",
    }


def test_a_private_person_met_shows_name_and_year_only(ctx, hallmates):
    """Alan chose not to be findable: no role, employer or reasons, just name and year."""
    meet(hallmates, "ada", "alan")
    (alan,) = build(hallmates).met
    assert (alan.name, alan.year) == ("Alan Turing", "\u201909")
    assert (alan.role, alan.employer, alan.reasons) == ("", "", [])


def test_my_note_is_shown_verbatim_and_theirs_never(ctx, hallmates):
    """Ada's note, tags and star come through as written; Grace's note about Ada appears in
    neither the data nor the rendered text and HTML."""
    mine = "Ask about COBOL & the <Navy> archive\n  - second line kept"
    meet(hallmates, "ada", "grace", note=mine, tags=["coffee", "intro"], starred=True)
    meet(hallmates, "grace", "ada", note="GRACE-PRIVATE: Ada owes me a book")
    d = build(hallmates)
    (grace,) = d.met
    assert grace.note == mine and grace.tags == ["Coffee", "Intro"] and grace.starred
    text, html = messages.render_digest(d)
    assert mine in text
    assert "GRACE-PRIVATE" not in text + html


@pytest.mark.parametrize(
    ("both_ways", "ada_shares", "grace_shares", "shown"),
    [
        (True, True, True, True),
        (False, True, True, False),  # one-sided: Ada recorded Grace, not the other way
        (True, False, True, False),  # Ada does not share hers
        (True, True, False, False),  # Grace does not share hers
    ],
)
def test_contact_details_only_for_mutual_connections_who_both_share(
    ctx, hallmates, set_guest, both_ways, ada_shares, grace_shares, shown
):
    """Grace's email and LinkedIn show only when both recorded each other and both share."""
    set_guest(hallmates["ada"], consent_share_contact=ada_shares)
    set_guest(hallmates["grace"], consent_share_contact=grace_shares)
    meet(hallmates, "ada", "grace")
    if both_ways:
        meet(hallmates, "grace", "ada")
    d = build(hallmates)
    expected = {"email": "grace@example.org", "linkedin": "https://www.linkedin.com/in/grace"}
    assert d.met[0].contact == (expected if shown else None)
    assert names(d.contacts) == (["Grace Hopper"] if shown else [])
    text, html = messages.render_digest(d)
    assert ("grace@example.org" in text + html) is shown


def test_consent_withdrawn_after_the_batch_began_removes_the_details(ctx, hallmates, set_guest):
    """The Builder is made, then Grace stops sharing (committed elsewhere): her details are gone
    from Ada's digest, though this session had read her row before."""
    meet(hallmates, "ada", "grace")
    meet(hallmates, "grace", "ada")
    reader = person(hallmates["ada"])
    builder = content.Builder(db.session.get(Event, reader.event_id))
    assert builder.build(reader).contacts
    assert person(hallmates["grace"]).consent_share_contact  # loaded in this session's snapshot
    set_guest(hallmates["grace"], consent_share_contact=False)
    d = builder.build(reader)
    assert d.contacts == [] and d.met[0].contact is None


def test_findable_withdrawn_after_the_batch_began_hides_work_and_suggestion(
    ctx, hallmates, set_guest
):
    """Grace unticks "findable" after the Builder is made: no work line, no reasons, and she is
    no longer suggested to Donald."""
    meet(hallmates, "ada", "grace")
    reader, donald = person(hallmates["ada"]), person(hallmates["donald"])
    builder = content.Builder(db.session.get(Event, reader.event_id))
    assert "Grace Hopper" in names(builder.build(donald).to_meet)
    set_guest(hallmates["grace"], consent_findable=False)
    (grace,) = builder.build(reader).met
    assert (grace.work, grace.reasons) == ("", [])
    assert "Grace Hopper" not in names(builder.build(donald).to_meet)


def test_people_who_recorded_me_wait_with_a_connect_back_link(ctx, hallmates):
    """Grace and Alan recorded Ada, Ada recorded Grace: only Alan waits, and his link, read
    back, names Ada and Alan; his note about Ada is not in it."""
    meet(hallmates, "ada", "grace")
    meet(hallmates, "grace", "ada")
    meet(hallmates, "alan", "ada", note="ALAN-PRIVATE")
    d = build(hallmates)
    (alan,) = d.waiting
    assert alan.name == "Alan Turing" and alan.note == ""
    token = alan.connect_url.rsplit("/", 1)[1]
    assert alan.connect_url.startswith("http://127.0.0.1:5000/mail/connect/")
    assert links.read("connect", token) == (hallmates["ada"], hallmates["alan"])
    text, html = messages.render_digest(d)
    assert alan.connect_url in text and alan.connect_url in html
    assert "ALAN-PRIVATE" not in text + html


def test_promises_are_the_cards_tagged_to_follow_up_with_their_notes(ctx, hallmates):
    """Cards tagged coffee, intro... are promises in words; an untagged card is not one."""
    meet(hallmates, "ada", "grace", note="Coffee Tuesday at 10", tags=["coffee", "send-link"])
    meet(hallmates, "ada", "donald", note="Nice chat")
    (grace,) = build(hallmates).promises
    assert grace.actions == ["Send Grace the link", "Have coffee with Grace"]
    assert grace.note == "Coffee Tuesday at 10"


def test_people_to_meet_are_checked_in_findable_and_not_yet_recorded(ctx, hallmates):
    """Ada recorded Grace, Alan recorded Ada: the rest of the room is suggested, never Alan or
    Grace, nor Frances (not in), Radia (private), Edsger (another event) or Ada herself."""
    meet(hallmates, "ada", "grace")
    meet(hallmates, "alan", "ada")
    d = build(hallmates)
    assert sorted(names(d.to_meet)) == [
        "Barbara Liskov",
        "Donald Knuth",
        "Katherine Johnson",
        "Margaret Hamilton",
    ]
    assert all(f"You both lived in {HALL}" in e.reasons for e in d.to_meet)
    assert links.read("meet", d.to_meet[0].meet_url.rsplit("/", 1)[1])[0] == hallmates["ada"]


def test_at_most_five_people_to_meet(ctx, hallmates, make_guest, set_guest):
    """A big room still suggests five."""
    slug = db.session.get(Event, person(hallmates["ada"]).event_id).slug
    for n in range(6):
        extra, _ = make_guest(slug, f"Extra Person{n}")
        set_guest(extra, checked_in=True, consent_findable=True, residence_hall=HALL)
    assert len(build(hallmates).to_meet) == content.TO_MEET == 5


def test_nothing_to_say_builds_no_digest(ctx, hallmates):
    """Frances was not there and no one recorded her: None. Nor is anyone suggested to her."""
    assert build(hallmates, "frances") is None


def test_no_one_to_suggest_and_no_cards_builds_no_digest(ctx, hallmates):
    """With everyone else gone private or out, Ada, who met no one, gets nothing."""
    event_id = person(hallmates["ada"]).event_id
    others = (Guest.event_id == event_id) & (Guest.id != hallmates["ada"])
    db.session.execute(update(Guest).where(others).values(consent_findable=False))
    db.session.commit()
    assert build(hallmates) is None


def test_someone_absent_who_was_recorded_still_hears_of_it(ctx, hallmates):
    """Frances never checked in, but Grace recorded her, so she was there: a digest with Grace
    waiting to connect."""
    meet(hallmates, "grace", "frances")
    d = build(hallmates, "frances")
    assert names(d.waiting) == ["Grace Hopper"] and d.met == []


@pytest.mark.parametrize(
    ("met", "waiting", "to_meet", "subject"),
    [
        (7, 0, 3, "You met 7 people at Fall Reunion, and 3 more you should meet"),
        (1, 0, 1, "You met 1 person at Fall Reunion, and 1 more you should meet"),
        (2, 4, 0, "You met 2 people at Fall Reunion"),
        (0, 1, 2, "1 person from Fall Reunion wants to connect, and 2 more you should meet"),
        (0, 3, 0, "3 people from Fall Reunion want to connect"),
        (0, 0, 1, "1 person at Fall Reunion you should meet"),
    ],
)
def test_the_subject_counts_in_words(met, waiting, to_meet, subject):
    """Counts with the right grammar for one person and for no one to meet."""
    entries = [content.Entry(i, f"P {i}") for i in range(10)]
    d = content.Digest(
        reader=None,
        event=Event(name="Fall Reunion"),
        met=entries[:met],
        waiting=entries[:waiting],
        promises=[],
        to_meet=entries[:to_meet],
        contacts=[],
    )
    assert d.subject == subject


@pytest.mark.parametrize(
    ("met", "waiting", "promises", "to_meet", "contents"),
    [
        (
            7,
            1,
            2,
            3,
            "the 7 people you met, who wants to connect, what you said you'd do and "
            "who you should still meet",
        ),
        (1, 0, 0, 2, "the person you met and who you should still meet"),
        (0, 2, 0, 0, "who wants to connect"),
    ],
)
def test_the_opening_line_names_only_what_is_there(met, waiting, promises, to_meet, contents):
    """The opening sentence lists the sections the digest has, and no others."""
    entries = [content.Entry(i, f"P {i}") for i in range(10)]
    d = content.Digest(
        None,
        Event(name="Fall Reunion"),
        entries[:met],
        entries[:waiting],
        entries[:promises],
        entries[:to_meet],
        [],
    )
    assert d.contents == contents


def test_when_we_met_is_in_the_events_own_time(ctx, hallmates):
    """A card made at 23:42 UTC on the party's day shows as 18:42 in New York (a one-day
    event)."""
    meet(hallmates, "ada", "grace")
    made = datetime.combine(REUNION_DAY, time(23, 42))
    db.session.execute(update(Card).values(created_at=made))
    db.session.commit()
    assert build(hallmates).met[0].met_at == "18:42"


def test_a_multi_day_event_says_which_day(ctx, hallmates):
    """When the event spans days, the time says the day too."""
    event = db.session.get(Event, person(hallmates["ada"]).event_id)
    day_after = REUNION_DAY + timedelta(days=1)
    event.ends_at = datetime.combine(REUNION_DAY + timedelta(days=2), time(23, 0), tzinfo=UTC)
    meet(hallmates, "ada", "grace")
    db.session.execute(update(Card).values(created_at=datetime.combine(day_after, time(15, 5))))
    db.session.commit()
    assert build(hallmates).met[0].met_at == f"{day_after:%a} 27 Nov, 10:05"


def test_the_readers_cards_are_found_through_indexes(ctx, hallmates):
    """SQLite finds the reader's cards by author and by subject, never by reading the event's
    every card (an extra event filter once made it read 25,000 cards per reader)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    builder = content.Builder(db.session.get(Event, person(hallmates["ada"]).event_id))
    compiled = builder.cards_query.compile(db.engine)
    values = compiled.construct_params({"reader": hallmates["ada"]})
    args = tuple(values[name] for name in compiled.positiontup)
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args)
    steps = [row[-1] for row in plan if " cards " in f"{row[-1]} "]
    assert len(steps) == 2, steps  # the cards I wrote, the cards about me
    assert all(
        re.search(r"USING INDEX .*\((author_id|event_id=\? AND subject_id)=\?", s) for s in steps
    ), steps


def test_a_builder_refuses_another_events_guest(ctx, hallmates):
    """Fall Reunion's Builder asked for Edsger (Spring Gala): an error, not his digest."""
    builder = content.Builder(db.session.get(Event, person(hallmates["ada"]).event_id))
    with pytest.raises(ValueError):
        builder.build(person(hallmates["edsger"]))


def test_the_footer_links_are_the_readers_own(ctx, hallmates):
    """Manage what you share: Ada's working personal link, unchanged; unsubscribe: hers."""
    meet(hallmates, "ada", "grace")
    ada = person(hallmates["ada"])
    link = personal_links.ensure(ada)
    d = build(hallmates)
    assert d.manage_url == personal_links.url_of(link)
    assert links.read("unsubscribe", d.unsubscribe_url.rsplit("/", 1)[1]) == (ada.id, None)


def test_building_and_previewing_write_nothing_sending_makes_the_link(ctx, hallmates):
    """Ada has no personal link: build and render_digest (the preview) make none and point
    her to "send me my link"; messages.digest, when sending, makes her link and uses it."""
    meet(hallmates, "ada", "grace")
    ada = person(hallmates["ada"])
    d = build(hallmates)
    text, _ = messages.render_digest(d)
    assert d.manage_url == "" and personal_links.current(ada.id) is None
    assert f"/e/{ada.event.slug}/link-again" in text
    sent = messages.digest(d).get_body(("plain",)).get_content()
    assert personal_links.current(ada.id) is not None
    assert (
        personal_links.url_of(personal_links.current(ada.id)) in sent and "link-again" not in sent
    )


def test_another_events_people_never_appear(ctx, hallmates):
    """Edsger (Spring Gala) recorded Ada somehow: his card is not hers to see."""
    edsger, ada = person(hallmates["edsger"]), person(hallmates["ada"])
    db.session.add(
        Card(event_id=edsger.event_id, author_id=edsger.id, subject_id=ada.id, nonce="x" * 12)
    )
    db.session.commit()
    d = build(hallmates)
    assert "Edsger Dijkstra" not in names(d.met + d.waiting + d.to_meet)


@pytest.mark.parametrize(
    ("fields", "suppressed", "reason"),
    [
        ({}, False, ""),
        ({"email": ""}, False, "No email address."),
        ({"email": "not an address"}, False, "The email address 'not an address' is not usable."),
        ({"consent_digest": False}, False, "Did not ask for the digest."),
        (
            {"unsubscribed_at": utcnow()},
            False,
            "Unsubscribed from the organizer's digests and introductions.",
        ),
        ({}, True, "The address was refused by its mail server before, so it is not tried again."),
    ],
)
def test_skip_reasons(ctx, hallmates, fields, suppressed, reason):
    """Each reason not to send, in a sentence for the organizer; "" when the digest may go."""
    ada = person(hallmates["ada"])
    for name, value in fields.items():
        setattr(ada, name, value)
    assert content.skip_reason(ada, suppressed) == reason
