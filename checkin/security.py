"""Response headers every page gets (a strict CSP, referrers kept on this site, no framing), and
what an https BASE_URL turns on: Secure __Host- cookies, HSTS, forwarded headers from proxies."""

import secrets

from flask import Flask, g, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

# A year. No includeSubDomains or preload: an association's domain hosts other sites (its
# homepage, a shop) that this app has no right to force onto HTTPS or into browsers' lists.
HSTS = "max-age=31536000"
# Pages that are the same for everyone and may be cached: the app shell and static files.
CACHEABLE_BLUEPRINTS = {"pwa"}


def init_app(app: Flask) -> None:
    """Install the security headers, the https settings and friendly error pages."""
    _trust_proxies(app)
    if app.config["BASE_URL"].startswith("https://"):
        _secure_cookies(app)
    app.before_request(_make_nonce)
    app.after_request(_add_headers)
    app.context_processor(lambda: {"csp_nonce": g.get("csp_nonce", "")})
    for code in (400, 401, 403, 404, 405, 410, 413, 429, 500):
        app.register_error_handler(code, _error_page)


def _trust_proxies(app: Flask) -> None:
    """Honour X-Forwarded-For/-Proto/-Host/-Port only from TRUSTED_PROXIES proxies (0: none)."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _secure_cookies(app: Flask) -> None:
    """Cookies only over https, named __Host- so no other host or path can set or read them."""
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_NAME="__Host-session",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_NAME="__Host-remember",
        REMEMBER_COOKIE_PATH="/",
        REMEMBER_COOKIE_DOMAIN=None,
    )


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
    # Links carry secret tokens: other sites get no Referer at all. This site gets one, which
    # Flask-WTF requires on every https POST.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if _private(request):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _private(req) -> bool:
    """Everything but static files and the app shell may show personal data or a secret."""
    endpoint = req.endpoint or ""
    return endpoint != "static" and endpoint.split(".")[0] not in CACHEABLE_BLUEPRINTS


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    if request.path.startswith("/api/"):
        return {"error": getattr(error, "description", "Server error")}, code
    return render_template("error.html", error=error, code=code), code
