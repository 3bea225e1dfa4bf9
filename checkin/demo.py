"""A demo event with realistic alumni, for trying the app and for tests."""

import random
import secrets
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .accounts import personal_links, users
from .door import passes
from .door.check_in import answer as door_answer
from .events import events, tickets
from .extensions import db
from .members import demo_history
from .models import Card, CheckInAttempt, Guest, Invitation, Organizer, utcnow
from .privacy import consents
from .room import cards

FIRST = [
    "Amara",
    "Ben",
    "Carmen",
    "Chloé",
    "Diego",
    "Émilie",
    "Farah",
    "Gökhan",
    "Grace",
    "Hannah",
    "Ines",
    "Jamal",
    "Kenji",
    "Liam",
    "Łukasz",
    "Maya",
    "Nikos",
    "Noor",
    "Oisín",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Sofía",
    "Tomás",
    "Uma",
    "Wei",
    "Yusuf",
    "Zoë",
    "Aisha",
]
LAST = [
    "Adeyemi",
    "Andersson",
    "Brennan",
    "Chen",
    "Dubois",
    "Fontaine",
    "Haddad",
    "Iyer",
    "Kowalski",
    "Lindqvist",
    "Martínez",
    "Mensah",
    "Müller",
    "Nakamura",
    "Novak",
    "O'Brien",
    "Okafor",
    "Papadopoulos",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Wójcik",
    "Yılmaz",
    "Zhang",
    "Ó Súilleabháin",
]
HALLS = [
    "Watson Hall",
    "Baker House",
    "Ellis Hall",
    "Founders Court",
    "North Quad",
    "Kendall Commons",
    "Lakeside Towers",
    "Maple Row",
]
CLUBS = [
    "Rowing",
    "Debate Society",
    "Student Newspaper",
    "Jazz Ensemble",
    "Model UN",
    "Entrepreneurship Club",
    "Robotics Club",
    "Outing Club",
    "Theatre Guild",
    "Chess Club",
    "Habitat for Humanity",
    "Investment Club",
    "Women in Engineering",
    "Black Student Union",
]
INDUSTRIES = [
    "Software",
    "Finance",
    "Healthcare",
    "Education",
    "Consulting",
    "Law",
    "Media",
    "Nonprofit",
    "Biotech",
    "Energy",
    "Government",
    "Architecture",
]
INTERESTS = [
    "fintech",
    "climate tech",
    "product management",
    "venture capital",
    "writing",
    "photography",
    "public policy",
    "data science",
    "UX research",
    "running",
    "career change",
    "teaching",
    "medical school",
    "investing",
    "design",
]
MAJORS = [
    "Economics",
    "Computer Science",
    "History",
    "Biology",
    "Mathematics",
    "English",
    "Mechanical Engineering",
    "Political Science",
    "Nursing",
    "Architecture",
]
CITIES = [
    "New York",
    "Boston",
    "Chicago",
    "San Francisco",
    "Seattle",
    "Washington",
    "London",
    "Toronto",
    "Austin",
    "Atlanta",
    "Denver",
    "Los Angeles",
]
EMPLOYERS = {
    "Software": ["Stripe", "Google", "a seed-stage startup", "Microsoft"],
    "Finance": ["Goldman Sachs", "Fidelity", "a credit union", "BlackRock"],
    "Healthcare": ["Mass General", "Kaiser Permanente", "a community clinic"],
    "Education": ["Boston Public Schools", "the university", "Khan Academy"],
    "Consulting": ["McKinsey", "Deloitte", "an independent practice"],
    "Law": ["ACLU", "Skadden", "the district attorney's office"],
    "Media": ["The Atlantic", "NPR", "a podcast studio"],
    "Nonprofit": ["Habitat for Humanity", "the Gates Foundation", "a food bank"],
    "Biotech": ["Moderna", "Genentech", "a gene-therapy startup"],
    "Energy": ["NextEra", "a solar installer", "the grid operator"],
    "Government": ["the State Department", "City Hall", "the EPA"],
    "Architecture": ["Gensler", "a small studio", "the city planning office"],
}
ROLES = [
    "Analyst",
    "Engineer",
    "Product Manager",
    "Founder",
    "Director",
    "Teacher",
    "Partner",
    "Researcher",
    "Designer",
    "Policy Advisor",
    "Physician",
    "Associate",
]
HELP_TOPICS = [
    "product management",
    "fundraising",
    "career change",
    "law school",
    "medical school",
    "hiring",
    "public speaking",
    "data science",
    "investing",
    "grad school applications",
    "starting a company",
    "moving to a new city",
]
NOTES = [
    "{role} at {employer}; happy to talk about {topic}.",
    "We were both in {hall}. Wants to hear more about {topic}.",
    "Ask about their team at {employer}: they might be hiring.",
    "Promised to send the article on {topic} we talked about.",
    "Great chat about {topic}. Coffee next time I'm in {city}.",
    "Offered to introduce me to someone in {industry}.",
    "Class of {year}: knows everyone from {club}.",
    "",
]
ORGANIZER_EMAIL = "organizer@demo.example"
TIMEZONE = "America/New_York"


def create_demo(guests: int = 120, seed: int | None = None) -> dict:
    """Create a demo event with guests, a third of them already in; describe it as a dict."""
    rng = random.Random(seed)
    organizer, password = _demo_organizer()
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)  # on the hour, as real events are
    event = events.create_event(
        organizer,
        "Fall Reunion 2026",
        "Alumni Hall, 1 College Green",
        (hour - timedelta(hours=1)).astimezone(ZoneInfo(TIMEZONE)),
        (hour + timedelta(hours=4)).astimezone(ZoneInfo(TIMEZONE)),
        TIMEZONE,
    )
    _open_registration(event, guests)
    doors = [passes.create(event, "Door 1"), passes.create(event, "Door 2")]
    people = [_person(rng, event.id, i) for i in range(guests)]
    db.session.add_all(people)
    db.session.flush()
    consents.insert_rows([row for p in people for row in _first_consents(p, now)])
    codes = {person.id: tickets.code_of(tickets.issue(person)) for person in people}
    _admit_some(rng, people, doors, now)
    db.session.add_all(_invitations(event, now))
    _record_cards(rng, [p for p in people if p.checked_in_at], now)
    demo_history.seed(rng, event, people)
    db.session.commit()
    return describe(event, organizer.email, password, doors[0], people, codes)


def _open_registration(event, guests: int) -> None:
    """The demo takes registrations on its public page: a few questions, places to spare."""
    event.registration = "open"
    event.capacity = guests + 30
    event.description = (
        "Old friends, new ones, and the people you should have met in college. "
        "Drinks and small plates from 6pm; short welcome at 7."
    )
    event.registration_questions = {
        "class_year": "required",
        "industry": "optional",
        "city": "optional",
        "can_help_with": "optional",
    }


INVITED = ("sam.okafor", "lea.martin", "raj.patel", "mia.chen", "tom.brady", "ines.garcia")


def _invitations(event, now) -> list[Invitation]:
    """Invitations to register sent yesterday (none emailed now), one refused by its server, so
    the organizer's invitations page shows how they went and "Send again"."""
    rows = []
    for n, name in enumerate(INVITED):
        salt = tickets.new_salt()
        failed = n == len(INVITED) - 1
        rows.append(
            Invitation(
                event_id=event.id,
                association_id=event.association_id,
                email=f"{name}@example.org",
                batch="demo",
                salt=salt,
                token_hash=tickets.digest(tickets.derive("invitation", salt)),
                status="failed" if failed else "sent",
                reason="451 4.3.0 Mail server busy, try again later" if failed else "",
                attempts=1,
                queued_at=now - timedelta(days=1),
                sent_at=None if failed else now - timedelta(days=1),
            )
        )
    return rows


def existing_demo() -> dict | None:
    """The newest demo event again, with a fresh demo password (only its hash is kept)."""
    organizer = users.find_by_email(ORGANIZER_EMAIL)
    if organizer is None or not (mine := events.events_of(organizer)):
        return None
    event = max(mine, key=lambda e: (e.starts_at, e.id))  # today's, not the earlier one
    _, password = _demo_organizer()
    doors = [p for p in passes.passes_of(event) if p.is_active(utcnow())]
    door = doors[-1] if doors else passes.create(event, "Door 1")
    people = list(
        db.session.scalars(select(Guest).where(Guest.event_id == event.id).order_by(Guest.id))
    )
    codes = tickets.codes_of_event(event.id)
    people = [p for p in people if p.id in codes]
    return describe(event, organizer.email, password, door, people, codes)


def describe(event, email, password, door, people, codes) -> dict:
    """The demo as the JSON the CLI prints."""
    base = current_app.config["BASE_URL"]
    association = event.association
    return {
        "association": {"name": association.name, "slug": association.slug},
        "event": {
            "slug": event.slug,
            "name": event.name,
            "url": f"{base}/events/{event.slug}",
            "public_url": f"{base}/e/{event.slug}",
        },
        "organizer": {"email": email, "password": password},
        "door": {"url": passes.link(door), "token": passes.token_of(door)},
        "guests": guest_entries(event, people, codes),
    }


def guest_entries(event, people, codes) -> list[dict]:
    """Each guest as the demo and `flask links` print them: ticket, personal link, consents."""
    link_of = personal_links.ensure_all(event.id)
    met = demo_history.met_before_names(event, people)
    return [
        {
            "name": p.name,
            "email": p.email,
            "code": tickets.ticket_url(codes[p.id]),
            "ticket_url": tickets.ticket_url(codes[p.id]),
            "login_url": personal_links.url_of(link_of[p.id]),
            "consents": {
                "findable": p.consent_findable,
                "share_contact": p.consent_share_contact,
                "digest": p.consent_digest,
            },
            "met_before": met[p.id],
        }
        for p in people
    ]


def _demo_organizer() -> tuple[Organizer, str]:
    """The demo organizer, with a fresh random password (kept only as a hash)."""
    password = secrets.token_urlsafe(12)
    organizer = users.find_by_email(ORGANIZER_EMAIL)
    if organizer is None:
        organizer = users.create_organizer(ORGANIZER_EMAIL, password, "Demo Organizer")
    else:
        from werkzeug.security import generate_password_hash

        organizer.password_hash = generate_password_hash(password)
        db.session.commit()
    return organizer, password


def _person(rng: random.Random, event_id: int, index: int) -> Guest:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    handle = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    industry = rng.choice(INDUSTRIES)
    year = rng.randint(1975, 2024)
    senior = year < 2012
    findable = rng.random() < 0.85  # most opt in, as at real events; some do not
    return Guest(
        event_id=event_id,
        name=f"{first} {last}",
        email=f"{_ascii(handle)}{index}@example.org",
        class_year=year,
        major=rng.choice(MAJORS),
        residence_hall=rng.choice(HALLS),
        clubs="; ".join(rng.sample(CLUBS, rng.randint(0, 3))),
        industry=industry,
        employer=rng.choice(EMPLOYERS[industry]),
        role=rng.choice(ROLES),
        city=rng.choice(CITIES),
        interests="; ".join(rng.sample(INTERESTS, rng.randint(1, 4))),
        can_help_with="; ".join(
            rng.sample(HELP_TOPICS, rng.randint(1, 3) if senior else rng.randint(0, 1))
        ),
        wants_help_with="; ".join(
            rng.sample(HELP_TOPICS, rng.randint(0, 1) if senior else rng.randint(1, 3))
        ),
        willing_to_mentor=senior and rng.random() < 0.5,
        consent_profile=findable,
        consent_findable=findable,
        consent_share_contact=findable and rng.random() < 0.75,
        consent_digest=rng.random() < 0.8,
        source="import",
    )


def _first_consents(person: Guest, now) -> list[dict]:
    values = consents.values_of(person)
    return consents.first_rows(person.event_id, person.id, values, "import", now)


def _admit_some(rng, people, doors, now) -> None:
    """Check a third of the guests in over the last hour, as if the door had been busy."""
    for person in rng.sample(people, len(people) // 3):
        door = rng.choice(doors)
        at = now - timedelta(minutes=rng.uniform(0, 60))
        person.checked_in_at, person.checked_in_by_id = at, door.id
        answer = door_answer(
            "admitted",
            {"id": person.id, "name": person.name, "class_year": person.class_year},
            at,
            door.name,
        )
        db.session.add(
            CheckInAttempt(
                event_id=person.event_id,
                nonce=str(uuid.uuid4()),
                door_pass_id=door.id,
                attendee_id=person.id,
                action="scan",
                result="admitted",
                device="demo",
                scanned_at=at,
                received_at=at,
                answer=answer,
            )
        )


def _record_cards(rng: random.Random, present: list[Guest], now) -> None:
    """Who met whom in the room: each guest who is in records a few others, some both ways."""
    made: set[tuple[int, int]] = set()
    for author in present:
        others = [p for p in present if p.id != author.id]
        for subject in rng.sample(others, min(len(others), rng.randint(1, 5))):
            _card(rng, author, subject, now, made)
            if rng.random() < 0.4:  # they recorded each other: a mutual connection
                _card(rng, subject, author, now, made)


def _card(rng, author: Guest, subject: Guest, now, made: set) -> None:
    """One card, with a note about the person met, a few quick tags and sometimes a star."""
    if (author.id, subject.id) in made:
        return
    made.add((author.id, subject.id))
    facts = {
        "employer": subject.employer,
        "role": subject.role,
        "topic": rng.choice((subject.interests or "their work").split("; ")),
        "hall": subject.residence_hall,
        "city": subject.city,
        "industry": subject.industry.lower(),
        "year": subject.class_year,
        "club": (subject.clubs or "their dorm").split("; ")[0],
    }
    at = max(author.checked_in_at, subject.checked_in_at) + timedelta(minutes=rng.uniform(2, 40))
    at = min(at, now)
    db.session.add(
        Card(
            event_id=author.event_id,
            author_id=author.id,
            subject_id=subject.id,
            nonce=uuid.uuid4().hex,
            note=rng.choice(NOTES).format(**facts),
            tags=rng.sample(list(cards.QUICK_TAGS), rng.choice((0, 0, 1, 1, 2))),
            starred=rng.random() < 0.25,
            via=rng.choice(("scan", "scan", "list", "link")),
            created_at=at,
            updated_at=at,
        )
    )


def _ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "."))
