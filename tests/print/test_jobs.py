"""Badge sheets the organizer asks for: who is on them, made in the request or queued, one sheet
per double submit, progress and downloads, each organizer's own; the door's walk-in label."""

import re
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import func, select, update
from support import pdf_qr
from support.pages import HTMX, readable

from checkin.door import check_in, passes
from checkin.extensions import db
from checkin.models import BadgeJob, DoorPass, Event, Guest, utcnow
from checkin.print import jobs as badge_jobs
from checkin.print import rendering


def pages(pdf: bytes, tmp_path) -> int:
    """The number of pages in a PDF, as pdfinfo reads it."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return pdf_qr.pages(path)


@pytest.fixture
def alpha(app, client, sign_in, make_event, make_guest):
    """Alpha (organizer A, signed in): Ada Lovelace, Grace Hopper, Alan Turing; Bravo belongs to
    organizer B with one guest."""
    slug = make_event("Alpha Reunion")
    ids = {
        key: make_guest(slug, name)[0]
        for key, name in (
            ("ada", "Ada Lovelace"),
            ("grace", "Grace Hopper"),
            ("alan", "Alan Turing"),
        )
    }
    bravo = make_event("Bravo Reunion", email="b@example.org")
    ids["xavier"], _ = make_guest(bravo, "Xavier Xu")
    sign_in()
    return {"slug": slug, "bravo": bravo, "ids": ids, "token": csrf_token(client, "/events")}


def event_of(slug: str) -> Event:
    """The event with this slug (in an app context)."""
    return db.session.scalar(select(Event).where(Event.slug == slug))


def jobs(app) -> list[BadgeJob]:
    """Every badge job, oldest first, read fresh."""
    with app.app_context():
        found = list(db.session.scalars(select(BadgeJob).order_by(BadgeJob.id)))
        db.session.expunge_all()
        return found


def make(client, party, selection="everyone", layout="letter-6", **fields):
    """Press "Make badges" with these choices."""
    data = {"csrf_token": party["token"], "selection": selection, "layout": layout, **fields}
    return client.post(f"/events/{party['slug']}/badges", data=data)


def add_guests(make_guest, slug: str, count: int) -> list[int]:
    """More guests on the list."""
    return [make_guest(slug, f"Guest{n:02d} Extra")[0] for n in range(count)]


# Who is on a sheet


def test_everyone_is_every_guest_of_the_event_by_surname(app, alpha):
    """ "Everyone" holds this event's guests only, sorted under their surnames."""
    with app.app_context():
        ids = badge_jobs.resolve(event_of(alpha["slug"]), "everyone")
    assert ids == [alpha["ids"]["grace"], alpha["ids"]["ada"], alpha["ids"]["alan"]]


def test_one_guest_of_another_event_resolves_to_nobody(app, alpha):
    """Naming another event's guest selects no one."""
    with app.app_context():
        event = event_of(alpha["slug"])
        assert badge_jobs.resolve(event, "attendee", alpha["ids"]["xavier"]) == []
        assert badge_jobs.resolve(event, "attendee", alpha["ids"]["ada"]) == [alpha["ids"]["ada"]]


def test_not_printed_yet_is_walk_ins_and_guests_added_since_the_last_sheet(
    app, client, alpha, make_guest, make_pass
):
    """After a sheet for everyone, "not printed yet" holds exactly the walk-in at the door and
    the guest added later; once those are printed, asking again says nobody is left."""
    assert make(client, alpha).status_code == 302
    token = make_pass(alpha["slug"])
    with app.app_context():
        event = event_of(alpha["slug"])
        assert badge_jobs.resolve(event, "walk_ins") == []
        door_pass = check_in.active_pass(token)
        walk_in = check_in.walk_in(door_pass, "Walk Inn", "", 1990, str(uuid.uuid4()))
    late, _ = make_guest(alpha["slug"], "Late Addition")
    with app.app_context():
        event = event_of(alpha["slug"])
        assert badge_jobs.resolve(event, "walk_ins") == [late, walk_in["attendee"]["id"]]
        assert badge_jobs.counts(event) == {"everyone": 5, "walk_ins": 2}
    reply = make(client, alpha, "walk_ins")
    assert reply.status_code == 302
    assert jobs(app)[-1].attendee_ids == [late, walk_in["attendee"]["id"]]
    reply = make(client, alpha, "walk_ins", layout="a6-4")
    assert reply.status_code == 422
    assert "Every guest has a badge already" in readable(reply)
    assert len(jobs(app)) == 2


# Made in the request, or queued


def test_a_small_sheet_is_made_in_the_request(app, client, alpha, file_queue, tmp_path):
    """Three badges: done before the redirect, nothing queued, the PDF on one sheet, and the
    guests' badges marked printed."""
    reply = make(client, alpha)
    [job] = jobs(app)
    assert reply.location == f"/events/{alpha['slug']}/badges?job={job.id}#sheet"
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert file_queue.pending_count() == 0
    with app.app_context():
        assert pages(db.session.get(BadgeJob, job.id).pdf, tmp_path) == 1
        printed = db.session.scalars(
            select(Guest.badge_printed_at).where(Guest.id.in_(job.attendee_ids))
        )
        assert all(moment == job.finished_at for moment in printed)


def test_a_big_sheet_goes_to_the_worker(app, client, alpha, file_queue, make_guest):
    """Thirteen badges: the press queues one task and the page shows an indeterminate bar."""
    add_guests(make_guest, alpha["slug"], 10)
    reply = make(client, alpha)
    [job] = jobs(app)
    assert (job.status, job.total) == ("queued", 13)
    assert file_queue.pending_count() == 1
    page = client.get(reply.location)
    html = page.get_data(as_text=True)
    assert re.search(r'<progress id="sheet-progress" max="13">', html)
    assert 'hx-trigger="every 1s"' in html
    assert "Waiting to start" in readable(page)


def test_pressing_twice_makes_one_sheet(app, client, alpha):
    """The same request twice (a double tap) gives one job, and both answers lead to it."""
    first, second = make(client, alpha), make(client, alpha)
    [job] = jobs(app)
    assert first.location == second.location == f"/events/{alpha['slug']}/badges?job={job.id}#sheet"


def test_pressing_twice_while_queued_makes_one_sheet(app, client, alpha, file_queue, make_guest):
    """A big sheet waiting for the worker is reused by the second press: one task, one job."""
    add_guests(make_guest, alpha["slug"], 10)
    make(client, alpha, "walk_ins")
    make(client, alpha, "walk_ins")
    assert len(jobs(app)) == 1 and file_queue.pending_count() == 1


def test_racing_presses_make_one_sheet(app, alpha, file_queue, make_guest):
    """Four requests for the same sheet at the same moment (threads, own connections) make one
    job and queue one task, on SQLite's write lock and PostgreSQL's row lock alike."""
    add_guests(make_guest, alpha["slug"], 10)
    barrier, answers = threading.Barrier(4), []

    def press():
        with app.app_context():
            event = event_of(alpha["slug"])
            barrier.wait()
            answers.append(badge_jobs.ask(event, "everyone", "letter-6").id)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 4 and len(set(answers)) == 1
    assert len(jobs(app)) == 1 and file_queue.pending_count() == 1


def test_not_printed_yet_pressed_twice_is_the_same_sheet(app, client, alpha):
    """The second press finds nobody unprinted (the first sheet marked them) and still answers
    with the first sheet, not "nobody to print"."""
    first, second = make(client, alpha, "walk_ins"), make(client, alpha, "walk_ins")
    assert first.status_code == second.status_code == 302
    assert first.location == second.location and len(jobs(app)) == 1


def test_a_different_paper_is_a_different_sheet(app, client, alpha):
    """The same guests on other paper is a new request."""
    make(client, alpha)
    make(client, alpha, layout="a6-4")
    assert [job.layout for job in jobs(app)] == ["letter-6", "a6-4"]


def test_the_same_request_later_is_a_new_sheet(app, client, alpha):
    """Outside the double-submit window, asking again makes a fresh sheet."""
    make(client, alpha)
    with app.app_context():
        db.session.execute(update(BadgeJob).values(created_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    make(client, alpha)
    assert len(jobs(app)) == 2


# The page and its form


def test_the_page_offers_selections_and_layouts_with_what_each_is_for(client, alpha):
    """Radio buttons with human labels and hints, a CSRF token, the counts and the posters."""
    page = client.get(f"/events/{alpha['slug']}/badges")
    html, words = page.get_data(as_text=True), readable(page)
    assert page.status_code == 200
    for value in ("everyone", "walk_ins", "attendee", "letter-6", "a6-4", "label"):
        assert f'value="{value}"' in html
    assert "All 3 guests on the list" in words
    assert "Avery 5392" in words and "label printer" in words
    assert 'name="csrf_token"' in html
    assert f"/events/{alpha['slug']}/poster-letter.pdf" in html
    assert f"/events/{alpha['slug']}/poster-a4.pdf" in html


def test_one_guest_without_a_guest_picked_is_refused(app, client, alpha):
    """ "One guest" with nobody picked: 422, the form again with a clear message, no job."""
    reply = make(client, alpha, "attendee", q="Ada")
    assert reply.status_code == 422
    assert "pick them from the list" in readable(reply)
    assert 'value="{}"'.format(alpha["ids"]["ada"]) in reply.get_data(as_text=True)
    assert jobs(app) == []


def test_one_guest_prints_that_guest_only(app, client, alpha):
    """Picking Ada makes a one-badge sheet for her."""
    reply = make(client, alpha, "attendee", attendee_id=alpha["ids"]["ada"])
    [job] = jobs(app)
    assert job.attendee_ids == [alpha["ids"]["ada"]]
    assert "Badge for Ada Lovelace" in readable(client.get(reply.location))


def test_one_guest_of_another_event_is_refused(app, client, alpha):
    """B's guest's id in A's form prints nothing."""
    reply = make(client, alpha, "attendee", attendee_id=alpha["ids"]["xavier"])
    assert reply.status_code == 422 and jobs(app) == []


def test_guest_search_lists_matches_and_ticks_one_guest(client, alpha):
    """Typing a name (htmx) lists the matching guests of this event as choices and ticks "One
    guest" out of band; another event's guest never shows."""
    url = f"/events/{alpha['slug']}/badges/guests"
    reply = client.get(url, query_string={"q": "ada"}, headers=HTMX)
    html = reply.get_data(as_text=True)
    assert 'name="attendee_id" value="{}"'.format(alpha["ids"]["ada"]) in html
    assert 'id="selection-attendee"' in html and 'hx-swap-oob="true"' in html
    assert "Xavier" not in client.get(url, query_string={"q": "xavier"}, headers=HTMX).text
    page = client.get(url, query_string={"q": "ada"})
    assert page.status_code == 200 and "<html" in page.text and "Ada Lovelace" in page.text


def test_the_page_can_preselect_a_guest(client, alpha):
    """?guest=ID opens the page with "One guest" and that guest ticked."""
    html = client.get(f"/events/{alpha['slug']}/badges?attendee={alpha['ids']['grace']}").text
    assert re.search(r'id="selection-attendee"[^>]*checked', html)
    assert re.search(r'id="guest-{}"[^>]*checked'.format(alpha["ids"]["grace"]), html)


# Progress, download, failure


def set_job(app, job_id: int, **values) -> None:
    """Change a job's row."""
    with app.app_context():
        db.session.execute(update(BadgeJob).where(BadgeJob.id == job_id).values(**values))
        db.session.commit()


def test_the_progress_fragment_shows_how_far_it_got(app, client, alpha, file_queue, make_guest):
    """While rendering, the polled fragment carries a <progress> with done of total and keeps
    polling; once done it stops polling and offers the download."""
    add_guests(make_guest, alpha["slug"], 27)
    make(client, alpha)
    [job] = jobs(app)
    url = f"/events/{alpha['slug']}/badges/jobs/{job.id}"
    set_job(app, job.id, status="rendering", done=12)
    fragment = client.get(url, headers=HTMX).get_data(as_text=True)
    assert '<progress id="sheet-progress" max="30" value="12">' in fragment
    assert 'hx-trigger="every 1s"' in fragment and "12 of 30 done" in fragment
    assert "<html" not in fragment
    set_job(app, job.id, status="done", done=30, pdf=b"%PDF-1.7 stand-in", finished_at=utcnow())
    fragment = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "hx-trigger" not in fragment and "<progress" not in fragment
    assert f"{url}/badges.pdf" in fragment
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and 'id="sheet"' in page.text


def download(client, alpha, job_id: int):
    """Press "Download PDF" on a sheet."""
    return client.post(
        f"/events/{alpha['slug']}/badges/jobs/{job_id}/badges.pdf",
        data={"csrf_token": alpha["token"]},
    )


def test_the_download_is_an_uncached_pdf_attachment(app, client, alpha, tmp_path):
    """POST "Download PDF": a PDF named after the event, as an attachment, never cached."""
    make(client, alpha)
    [job] = jobs(app)
    reply = download(client, alpha, job.id)
    assert reply.status_code == 200
    assert reply.mimetype == "application/pdf" and reply.data.startswith(b"%PDF")
    assert reply.headers["Content-Disposition"] == (
        f"attachment; filename={alpha['slug']}-badges-letter-6-{job.id}.pdf"
    )
    assert reply.headers["Cache-Control"] == "no-store"
    assert pages(reply.data, tmp_path) == 1


def test_a_downloaded_sheet_is_dropped_and_says_ask_again(app, client, alpha):
    """Once downloaded, the PDF is gone from the database; the sheet says so, and a second
    press of Download shows that page instead of a file."""
    make(client, alpha)
    [job] = jobs(app)
    assert download(client, alpha, job.id).data.startswith(b"%PDF")
    with app.app_context():
        row = db.session.get(BadgeJob, job.id)
        assert (row.status, row.pdf) == ("downloaded", None)
    page = client.get(f"/events/{alpha['slug']}/badges?job={job.id}")
    assert "Downloaded – ask again to print more" in readable(page)
    again = download(client, alpha, job.id)
    assert again.status_code == 302 and again.location.endswith(f"job={job.id}#sheet")


def test_a_download_without_its_token_hands_out_nothing(app, client, alpha):
    """A POST without the CSRF token (or a GET) gives no PDF and keeps it."""
    make(client, alpha)
    [job] = jobs(app)
    url = f"/events/{alpha['slug']}/badges/jobs/{job.id}/badges.pdf"
    assert client.post(url).status_code == 400
    assert client.get(url).status_code == 405
    assert jobs(app)[0].status == "done"


def test_a_pdf_nobody_downloads_is_dropped_after_a_day(app, client, alpha):
    """The periodic task drops PDFs finished more than a day ago, and only those."""
    from checkin import tasks

    make(client, alpha)
    make(client, alpha, "attendee", attendee_id=alpha["ids"]["ada"])
    old, new = jobs(app)
    set_job(app, old.id, finished_at=utcnow() - timedelta(days=1, minutes=1))
    with app.app_context():
        tasks.drop_old_badge_pdfs.call_local(now=utcnow())
        found = {
            row.id: (row.status, row.pdf is None) for row in db.session.scalars(select(BadgeJob))
        }
    assert found == {old.id: ("expired", True), new.id: ("done", False)}
    assert "Deleted after a day" in readable(client.get(f"/events/{alpha['slug']}/badges"))


def test_an_unfinished_sheet_has_no_download(app, client, alpha, file_queue, make_guest):
    """A queued sheet's download gives no file: the page shows its progress."""
    add_guests(make_guest, alpha["slug"], 10)
    make(client, alpha)
    [job] = jobs(app)
    assert download(client, alpha, job.id).status_code == 302


def test_a_failed_sheet_shows_why_and_try_again_makes_it(app, client, alpha):
    """A sheet on a layout the engine refuses fails with its reason and a "Try again" button;
    once the cause is gone, Try again makes the same guests' sheet."""
    make(client, alpha)
    [job] = jobs(app)
    set_job(app, job.id, status="queued", layout="poster-9")
    with app.app_context():
        rendering.run(job.id)
    [job] = jobs(app)
    assert job.status == "failed" and "poster-9" in job.error
    page = client.get(f"/events/{alpha['slug']}/badges?job={job.id}")
    assert "poster-9" in readable(page) and "Try again" in readable(page)
    assert f"/badges/jobs/{job.id}/retry" in page.text
    set_job(app, job.id, layout="a6-4")
    reply = client.post(
        f"/events/{alpha['slug']}/badges/jobs/{job.id}/retry", data={"csrf_token": alpha["token"]}
    )
    assert reply.status_code == 302
    [again] = jobs(app)
    assert (again.id, again.status, again.error) == (job.id, "done", "")
    assert again.attendee_ids == job.attendee_ids


def test_guests_removed_before_rendering_fail_the_sheet_clearly(app, client, alpha, file_queue):
    """A queued sheet whose guests were all deleted fails with a sentence, not a traceback."""
    make(client, alpha, "attendee", attendee_id=alpha["ids"]["ada"])
    [job] = jobs(app)
    with app.app_context():
        db.session.execute(update(BadgeJob).where(BadgeJob.id == job.id).values(status="queued"))
        db.session.delete(db.session.get(Guest, alpha["ids"]["ada"]))
        db.session.commit()
        rendering.run(job.id)
    assert jobs(app)[0].error == "None of these guests are on the list any more."


# A dead worker's jobs


def test_a_job_left_rendering_is_queued_again_once_then_failed(app, client, alpha, file_queue):
    """recover() at a consumer's start: a job left "rendering" goes back to the queue with a
    note; left rendering a second time, it fails with a message; old queued jobs are resent."""
    make(client, alpha)
    [job] = jobs(app)
    set_job(app, job.id, status="rendering", done=1, pdf=None)
    with app.app_context():
        assert rendering.recover(utcnow()) == [job.id]
    [job] = jobs(app)
    assert (job.status, job.done, job.error) == ("queued", 0, rendering.INTERRUPTED)
    set_job(app, job.id, status="rendering")
    with app.app_context():
        assert rendering.recover(utcnow()) == []
    [job] = jobs(app)
    assert (job.status, job.error) == ("failed", rendering.FAILED_TWICE)


def test_recovery_leaves_jobs_of_the_running_worker_alone(app, client, alpha):
    """A job asked for after this consumer started is its own: not touched."""
    started = utcnow()
    make(client, alpha)
    [job] = jobs(app)
    set_job(app, job.id, status="rendering")
    with app.app_context():
        assert rendering.recover(started) == []
    assert jobs(app)[0].status == "rendering"


# Each organizer's own


def test_another_organizer_finds_none_of_it(app, client, alpha, sign_in):
    """B signed in: A's badge page, job, download, retry and poster are all 404, and B's
    own event lists none of A's sheets."""
    make(client, alpha)
    [job] = jobs(app)
    base = f"/events/{alpha['slug']}"
    other = app.test_client()
    sign_in(email="b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    assert (
        other.post(f"{base}/badges/jobs/{job.id}/badges.pdf", data={"csrf_token": token})
    ).status_code == 404
    for path in (
        f"{base}/badges",
        f"{base}/badges/jobs/{job.id}",
        f"{base}/poster-a4.pdf",
        f"{base}/badges/guests?q=ada",
    ):
        assert other.get(path).status_code == 404, path
    assert (
        other.post(f"{base}/badges/jobs/{job.id}/retry", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        other.post(
            f"{base}/badges", data={"csrf_token": token, "selection": "everyone", "layout": "label"}
        ).status_code
        == 404
    )
    mine = f"/events/{alpha['bravo']}/badges"
    assert (
        other.post(f"{mine}/jobs/{job.id}/badges.pdf", data={"csrf_token": token}).status_code
        == 404
    )
    assert other.get(mine).status_code == 200 and "Badges made" not in other.get(mine).text
    assert len(jobs(app)) == 1


def test_signed_out_the_badge_page_asks_to_sign_in(app, alpha):
    """Without a session the page redirects to sign in."""
    reply = app.test_client().get(f"/events/{alpha['slug']}/badges")
    assert reply.status_code == 302 and reply.location.startswith("/sign-in")


# The walk-in's label at the door


@pytest.fixture
def at_door(app, client, alpha, make_pass):
    """A door pass of Alpha; its URL and a CSRF token for its page."""
    token = make_pass(alpha["slug"])
    url = f"/door/{token}"
    return {"url": url, "token": token, "csrf": csrf_token(client, url + "/")}


def test_a_walk_in_gets_a_print_badge_button(app, client, at_door):
    """Registering a walk-in (htmx) answers with a "Print badge" form for the new guest."""
    reply = client.post(
        at_door["url"] + "/walk-in",
        data={"csrf_token": at_door["csrf"], "nonce": str(uuid.uuid4()), "name": "Zoë Walker"},
        headers=HTMX,
    )
    with app.app_context():
        walker = db.session.scalar(select(Guest.id).where(Guest.name == "Zoë Walker"))
    html = reply.get_data(as_text=True)
    assert f'action="{at_door["url"]}/attendees/{walker}/badge.pdf"' in html
    assert "Print badge" in readable(reply) and "hx-post" not in html.split("door-print")[1]


def test_print_badge_answers_with_a_one_page_label(app, client, alpha, at_door, tmp_path):
    """The POST answers with a one-page 4 by 3 inch PDF as an attachment and marks the badge
    printed; the GET is not allowed, and changes nothing."""
    ada = alpha["ids"]["ada"]
    path = f"{at_door['url']}/attendees/{ada}/badge.pdf"
    assert client.get(path).status_code == 405
    reply = client.post(path, data={"csrf_token": at_door["csrf"]})
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    assert pages(reply.data, tmp_path) == 1
    file = tmp_path / "label.pdf"
    file.write_bytes(reply.data)
    info = subprocess.run(["pdfinfo", str(file)], capture_output=True, text=True).stdout
    assert "288 x 216 pts" in info  # 4 x 3 in
    with app.app_context():
        assert db.session.get(Guest, ada).badge_printed_at is not None
        assert db.session.scalar(select(BadgeJob.layout)) == "label"
        label = db.session.scalar(select(BadgeJob))
        assert (label.status, label.pdf) == ("downloaded", None)  # not kept once handed over


def test_print_badge_pressed_again_makes_the_label_anew(app, client, alpha, at_door):
    """The first label's PDF is gone once sent, so a second press (even at once) makes a new
    one rather than finding nothing to send."""
    path = f"{at_door['url']}/attendees/{alpha['ids']['ada']}/badge.pdf"
    for _ in range(2):
        reply = client.post(path, data={"csrf_token": at_door["csrf"]})
        assert reply.status_code == 200 and reply.data.startswith(b"%PDF")
    assert [job.status for job in jobs(app)] == ["downloaded", "downloaded"]


def test_print_badge_needs_the_token_the_pass_and_this_events_guest(app, client, alpha, at_door):
    """No CSRF token: 400; another event's guest: 404; a revoked pass: 401; nothing printed."""
    ada, xavier = alpha["ids"]["ada"], alpha["ids"]["xavier"]
    url = at_door["url"]
    assert client.post(f"{url}/attendees/{ada}/badge.pdf").status_code == 400
    data = {"csrf_token": at_door["csrf"]}
    assert client.post(f"{url}/attendees/{xavier}/badge.pdf", data=data).status_code == 404
    with app.app_context():
        passes.revoke(db.session.scalar(select(DoorPass)))
    assert client.post(f"{url}/attendees/{ada}/badge.pdf", data=data).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BadgeJob)) == 0
        assert (
            db.session.scalar(select(func.count()).where(Guest.badge_printed_at.is_not(None))) == 0
        )
