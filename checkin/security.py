"""Response headers every page gets: a strict CSP, no referrers, no framing."""

import secrets

from flask import Flask, g, render_template, request


def init_app(app: Flask) -> None:
    """Install the security headers and friendly error pages."""
    app.before_request(_make_nonce)
    app.after_request(_add_headers)
    app.context_processor(lambda: {"csp_nonce": g.get("csp_nonce", "")})
    for code in (400, 401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)


def _make_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


def _add_headers(response):
    # No inline scripts or styles at all; htmx's own indicator styles are turned off in
    # base.html (htmx.config.includeIndicatorStyles) so 'unsafe-inline' is never needed.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # links carry secret tokens
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
    if request.path.startswith(("/door/", "/t/", "/api/")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    if request.path.startswith("/api/"):
        return {"error": getattr(error, "description", "Server error")}, code
    return render_template("error.html", error=error, code=code), code
