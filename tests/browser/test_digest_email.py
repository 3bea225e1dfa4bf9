"""The digest's HTML in Chromium, as a mail app would show it: at 360 and 600 px, light and dark,
with no network request at all, no horizontal scrolling and no serious axe-core finding."""

import uuid

import pytest

from checkin.accounts import personal_links
from checkin.digest import content
from checkin.extensions import db
from checkin.mail import messages
from checkin.models import Event, Guest
from checkin.room import cards

from .axe import serious_violations
from .conftest import SCREENSHOTS

SHOTS = SCREENSHOTS  # test-results/screenshots/digest-*.png
PEOPLE = [  # name, class year, profile
    ("Maya Chen", 2011, {"role": "Product Manager", "employer": "Stripe", "can_help_with": "PM"}),
    ("Tomás Ó Súilleabháin", 2009, {"role": "Partner", "employer": "Arbor Ventures"}),
    ("Grace <b>Hopper</b>", 1958, {"role": "Rear Admiral", "employer": "US Navy"}),
    ("Kenji Nakamura", 2012, {"role": "Teacher", "employer": "Boston Public Schools"}),
    ("Priya Iyer", 2010, {"role": "Physician", "employer": "Mass General"}),
    ("Samuel Okafor", 2008, {"role": "Founder", "employer": "a seed-stage startup"}),
    ("Noor Haddad", 2013, {"role": "Policy Advisor", "employer": "City Hall"}),
]


@pytest.fixture
def guests(app, make_event, make_guest, set_guest) -> list[int]:
    """Zoë (first) and the people of PEOPLE at Fall Reunion 2026, all in Watson Hall."""
    slug = make_event("Fall Reunion 2026")
    ids = [make_guest(slug, "Zoë Müller", class_year=2010)[0]]
    set_guest(
        ids[0],
        checked_in=True,
        consent_share_contact=True,
        residence_hall="Watson Hall",
        wants_help_with="product management",
    )
    for name, year, profile in PEOPLE:
        ids.append(make_guest(slug, name, class_year=year)[0])
        set_guest(
            ids[-1],
            checked_in=True,
            consent_findable=True,
            consent_share_contact=True,
            residence_hall="Watson Hall",
            linkedin_url=f"https://www.linkedin.com/in/{uuid.uuid4().hex[:8]}",
            **profile,
        )
    return ids


@pytest.fixture
def zoes_digest(app, guests):
    """A full digest for Zoë: mutual and starred cards with notes and tags, someone waiting,
    promises, people to meet, contacts, her personal link, the postal address."""
    with app.app_context():
        zoe, maya, tomas, grace, kenji, priya = (db.session.get(Guest, i) for i in guests[:6])
        record = lambda a, b, **kw: cards.record(a, b, uuid.uuid4().hex, **kw)  # noqa: E731
        record(
            zoe,
            maya,
            note="Wants to hire a PM intern for summer.\nSend her Sam's CV.",
            tags=["send-link", "hiring"],
            starred=True,
        )
        record(maya, zoe)
        record(zoe, tomas, note="Coffee when he's in Boston in March.", tags=["coffee"])
        record(tomas, zoe)
        record(zoe, grace, note="Ask about the <COBOL> archive & the Navy years.", starred=True)
        record(zoe, kenji)
        record(priya, zoe, note="PRIYA-PRIVATE")
        event = db.session.get(Event, zoe.event_id)
        event.postal_address = "Alumni Association, 1 College Green, Boston MA 02115"
        db.session.commit()
        personal_links.ensure(zoe)
        d = content.Builder(event).build(zoe)
        yield messages.render_digest(d)[1]


@pytest.fixture
def introduction(app, guests):
    """The introduction Zoë gets when she and Maya both asked to meet."""
    with app.app_context():
        zoe, maya = (db.session.get(Guest, i) for i in guests[:2])
        message = messages.introduction(zoe, maya)
        yield message.get_body(("html",)).get_content()


def show(browser, html: str, width: int, scheme: str):
    """The HTML in a fresh page of that width and color scheme; every request is counted and
    refused. Returns the page and the list of requested URLs."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        device_scale_factor=1,
        ignore_https_errors=True,
    )
    page = context.new_page()
    requests: list[str] = []

    def refuse(route):
        requests.append(route.request.url)
        route.abort()

    page.route("**/*", refuse)
    page.set_content(html, wait_until="load")
    return page, requests


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 600])
def test_the_digest_renders_offline_fits_and_passes_axe(browser, zoes_digest, width, scheme):
    """No network request, no sideways scrolling, nothing serious for axe-core; a screenshot."""
    page, requests = show(browser, zoes_digest, width, scheme)
    assert requests == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
    assert page.get_by_role("heading", level=1).inner_text() == "Good morning, Zoë"
    assert page.get_by_role("link", name="Connect back with Priya").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"digest-{width}-{scheme}.png"), full_page=True)
    page.context.close()


def test_dark_mode_turns_the_sheet_dark(browser, zoes_digest):
    """With prefers-color-scheme: dark the card behind the text is dark and the text light."""
    page, _ = show(browser, zoes_digest, 600, "dark")
    script = "td => [td, td.querySelector('h1')].map(e => getComputedStyle(e))"
    colors = page.locator("td.masthead").evaluate(
        f"{script}.map((s, i) => i ? s.color : s.backgroundColor)"
    )
    assert colors == ["rgb(17, 26, 46)", "rgb(226, 232, 240)"]
    page.context.close()


def test_the_layout_is_600_wide_on_a_desktop_and_full_width_on_a_phone(browser, zoes_digest):
    """The sheet is at most 600 px on a wide screen and fills a 360 px phone."""
    for width, expected in ((900, 600), (360, 360)):
        page, _ = show(browser, zoes_digest, width, "light")
        assert page.locator("table.sheet").first.bounding_box()["width"] == expected
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_introduction_renders_offline_and_passes_axe(browser, introduction, scheme):
    """The double opt-in email at 360 px: offline, fits, axe-clean, a mailto button."""
    page, requests = show(browser, introduction, 360, scheme)
    assert requests == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
    assert (
        page.get_by_role("link", name="Write to Maya").get_attribute("href").startswith("mailto:")
    )
    page.screenshot(path=str(SHOTS / f"introduction-360-{scheme}.png"), full_page=True)
    page.context.close()
