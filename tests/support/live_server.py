"""A live server for the app on 127.0.0.1: plain http, or TLS with a throwaway certificate when
TEST_SCHEME=https (the Makefile's PostgreSQL pass). The root conftest registers its fixtures."""

import base64
import hashlib
import http.client
import os
import ssl
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

# Live servers (the `server` fixture, the browser tests' `live_app`) speak plain http, or TLS
# with a throwaway certificate when TEST_SCHEME=https (the Makefile's PostgreSQL pass).
SCHEME = os.environ.get("TEST_SCHEME", "http")
if SCHEME not in ("http", "https"):
    raise SystemExit(f"TEST_SCHEME must be http or https, not {SCHEME!r}")


def pytest_report_header(config):
    """Say which scheme the live servers speak in this run."""
    how = "TLS, a throwaway certificate for 127.0.0.1" if SCHEME == "https" else "plain http"
    return f"live servers: {SCHEME} ({how}; TEST_SCHEME chooses)"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1, its key, and its public key's SHA-256 (base64)."""

    cert: Path
    key: Path
    spki: str

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this certificate (and checks the name) and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    """A throwaway certificate for 127.0.0.1, made once per test session with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], check=True, capture_output=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"],
        input=public,
        check=True,
        capture_output=True,
    ).stdout
    return Certificate(cert, key, base64.b64encode(hashlib.sha256(der).digest()).decode())


def serve(app, certificate: Certificate | None):
    """A threaded werkzeug server for app on 127.0.0.1 (TLS when given a certificate), started."""
    tls = (str(certificate.cert), str(certificate.key)) if certificate else None
    httpd = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@dataclass(frozen=True)
class Served:
    """Where a live server listens, and how to open a connection to it."""

    port: int
    certificate: Certificate | None

    @property
    def origin(self) -> str:
        """scheme://127.0.0.1:port, what a browser's Referer on this site starts with."""
        return f"{'https' if self.certificate else 'http'}://127.0.0.1:{self.port}"

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        """A new keep-alive connection, over TLS (certificate checked) when the server speaks it."""
        if self.certificate:
            context = self.certificate.client_context()
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout, context=context
            )
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


@pytest.fixture
def server(app, certificate):
    """The test app served on 127.0.0.1 by werkzeug, one thread per request (over TLS when
    TEST_SCHEME=https)."""
    tls = certificate if SCHEME == "https" else None
    httpd = serve(app, tls)
    yield Served(httpd.server_port, tls)
    httpd.shutdown()
