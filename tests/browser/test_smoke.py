"""The browser fixtures work: a page loads with htmx and no CSP violations."""

from .conftest import screenshot


def test_sign_in_page_loads_without_csp_errors(live_app, phone):
    """The sign-in page renders at phone size, htmx loads, nothing breaks the CSP."""
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(f"{live_app.base_url}/sign-in")
    assert phone.get_by_role("heading", name="Organizer sign-in").is_visible()
    assert phone.evaluate("typeof window.htmx") == "object"
    screenshot(phone, "sign-in")
    assert not [e for e in errors if "Content Security Policy" in e]
