"""The deployment guide's nginx configuration (docs/deploy/nginx.conf), run as it is written in
front of a real `classvault serve`: TLS, a web login with Secure cookies and the CSRF check
over HTTPS, an upload and ranged streams, X-Forwarded-Proto set by nginx alone, and no
plaintext in nginx's temporary files (they are made impossible: an upload or a stream that
nginx buffered to disk would fail)."""

import datetime
import http.cookiejar
import io
import ipaddress
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import av
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.liveserver import DEMO_PASSWORD, multipart, running_server
from support.media import make_video

pytestmark = pytest.mark.cli

CONFIG = Path(__file__).parents[1] / "docs" / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def render(text: str, replacements: dict[str, str]) -> str:
    """The guide's file with test values; each placeholder must be there exactly once."""
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{old!r} is not in docs/deploy/nginx.conf exactly once"
        text = text.replace(old, new)
    return text


@contextmanager
def nginx_in_front(folder: Path, upstream: str):
    """nginx with the guide's site file; yields (https port, http port, temp folders)."""
    if not Path(NGINX).exists():
        pytest.skip(
            "nginx is not installed, so the deployment guide's configuration was not tested: "
            "`apt-get install -y nginx-light` (`make servers` does it as root)."
        )
    https_port, http_port = free_port(), free_port()
    cert, key = self_signed(folder)
    site = render(
        CONFIG.read_text(),
        {
            "server 127.0.0.1:8000;": f"server {upstream};",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "/etc/ssl/certs/classvault.example.org.pem": str(cert),
            "/etc/ssl/private/classvault.example.org.key": str(key),
        },
    )
    (folder / "classvault.conf").write_text(site)
    temps = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (folder / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temps["body"]};
    proxy_temp_path {temps["proxy"]};
    fastcgi_temp_path {temps["fastcgi"]};
    uwsgi_temp_path {temps["uwsgi"]};
    scgi_temp_path {temps["scgi"]};
    include {folder}/classvault.conf;
}}
"""
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        # nginx made its temporary folders at start. Put files where they were: from now on
        # any request or response nginx tried to buffer on disk would fail with a 500.
        for path in (temps["body"], temps["proxy"]):
            shutil.rmtree(path)
            path.write_text("no temporary files here")
        yield https_port, http_port, folder
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class Browser:
    """urllib with cookies, TLS trusting only the test's certificate, no redirects followed."""

    def __init__(self, base: str, cafile: Path) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=str(cafile))

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.cookies),
            NoRedirect(),
        )

    def request(self, method: str, path: str, *, data=None, headers=None):
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=dict(headers or {})
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def cookie(self, name: str):
        return next((c for c in self.cookies if c.name == name), None)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    home = tmp_path_factory.mktemp("deploy") / "data"
    folder = tmp_path_factory.mktemp("nginx")
    env = {
        "CLASSVAULT_HTTPS": "true",
        "CLASSVAULT_SSL_REDIRECT": "true",
        "CLASSVAULT_ALLOWED_HOSTS": "localhost,127.0.0.1",
    }
    with running_server(home, worker=True, env_extra=env) as app:
        upstream = urllib.parse.urlsplit(app).netloc
        with nginx_in_front(folder, upstream) as (https_port, http_port, nginx_folder):
            yield {
                "app": app,
                "https": f"https://127.0.0.1:{https_port}",
                "http": f"http://127.0.0.1:{http_port}",
                "cafile": nginx_folder / "cert.pem",
                "nginx": nginx_folder,
            }


def test_plain_http_only_redirects_to_https(deployment):
    plain = Browser(deployment["http"], deployment["cafile"])
    for forged in ({}, {"X-Forwarded-Proto": "https"}):
        status, headers, _ = plain.request("GET", "/login/", headers=forged)
        assert status == 301 and headers["Location"] == "https://127.0.0.1/login/"


def test_the_app_trusts_the_scheme_nginx_sets_and_no_client_can_forge_it(deployment):
    # Straight to the app over plain HTTP: CLASSVAULT_SSL_REDIRECT sends it to HTTPS (only
    # the public health check answers there, for probes on the machine).
    direct = Browser(deployment["app"], deployment["cafile"])
    assert direct.request("GET", "/login/")[0] == 301
    assert direct.request("GET", "/api/v1/health")[0] == 200
    assert direct.request("GET", "/api/v1/health/detail")[0] == 301
    browser = Browser(deployment["https"], deployment["cafile"])
    # Through nginx over TLS the app knows it is HTTPS (X-Forwarded-Proto), whatever a
    # client claims in its own headers.
    for forged in ({}, {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Ssl": "off"}):
        status, headers, body = browser.request("GET", "/login/", headers=forged)
        assert status == 200, (forged, body[:200])
    assert "max-age=31536000" in headers["Strict-Transport-Security"]


def test_a_web_login_through_nginx(deployment):
    browser = Browser(deployment["https"], deployment["cafile"])
    status, _, page = browser.request("GET", "/login/")
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": "sanne", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    status, headers, body = browser.request(
        "POST",
        "/login/",
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": deployment["https"],
            "Referer": deployment["https"] + "/login/",
        },
    )
    assert status == 302, body[:500]
    session = browser.cookie("sessionid")
    assert session is not None and session.secure
    assert browser.cookie("csrftoken").secure
    status, _, home = browser.request("GET", "/")
    assert status == 200 and b"Sanne" in home


def test_upload_and_ranged_streams_through_nginx_touch_no_temporary_file(deployment):
    base = deployment["https"]
    browser = Browser(base, deployment["cafile"])
    status, _, body = browser.request(
        "POST",
        "/api/v1/auth/token",
        data=json.dumps({"username": "sanne", "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    auth = {"Authorization": f"Bearer {json.loads(body)['token']}"}
    assert browser.request("POST", "/api/v1/me/guidelines", headers=auth)[0] == 200
    # Larger than nginx's in-memory buffers (16 KiB body, 4-8 KiB proxy buffers) many times.
    video = make_video(seconds=3.0, width=480, height=360)
    assert len(video) > 64 * 1024
    data, content_type = multipart(
        {"title": "Via nginx", "recorded_at": "2026-11-20T10:00:00+01:00", "pupils": "[]"},
        {"file": ("les.mp4", video, "video/mp4")},
    )
    status, _, created = browser.request(
        "POST", "/api/v1/recordings", data=data, headers={**auth, "Content-Type": content_type}
    )
    assert status == 201, created
    recording_id = json.loads(created)["id"]
    deadline = time.monotonic() + 120
    while True:
        detail = json.loads(
            browser.request("GET", f"/api/v1/recordings/{recording_id}", headers=auth)[2]
        )
        if detail["status"] != "processing" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert detail["status"] == "ready", detail

    path = f"/api/v1/recordings/{recording_id}/stream"
    status, headers, whole = browser.request("GET", path, headers=auth)
    assert status == 200 and headers["Accept-Ranges"] == "bytes"
    assert headers["Cache-Control"].startswith("no-store")
    with av.open(io.BytesIO(whole)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 75
    middle = len(whole) // 2
    for rng, expected in (
        ("bytes=0-1023", whole[:1024]),
        (f"bytes={middle}-", whole[middle:]),
        ("bytes=-5000", whole[-5000:]),
    ):
        status, headers, part = browser.request("GET", path, headers={**auth, "Range": rng})
        assert status == 206 and part == expected, rng
        assert headers["Content-Range"].endswith(f"/{len(whole)}")
    # The temporary folders are still files: nginx never tried to write a body to disk.
    for name in ("body", "proxy"):
        assert (deployment["nginx"] / name).read_text() == "no temporary files here"
    log = (deployment["nginx"] / "error.log").read_text()
    assert "temporary file" not in log and "[crit]" not in log, log[-2000:]


def test_the_guide_keeps_plaintext_out_of_nginx_temporary_files():
    """The request side is proven above (with buffering on, the upload fails against the
    trapped folder); a response spills to disk only when the client reads slower than the
    app sends, which loopback rarely shows, so its settings are held to here."""
    directives = {
        line.strip().rstrip(";")
        for line in CONFIG.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    }
    assert {
        "proxy_request_buffering off",
        "proxy_buffering off",
        "proxy_max_temp_file_size 0",
        "proxy_cache off",
    } <= directives
