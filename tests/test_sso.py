"""Institutional login against a real OpenID provider (node-oidc-provider from npm, started
here as its own process): the browser's way through it is followed by a real HTTP client,
and ClassVault talks to the provider's token, key and userinfo endpoints for real."""

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from classvault.audit.models import AuditEvent
from classvault.people.models import FederatedIdentity, Role, User

PROVIDER_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "classvault-test"
CLIENT_SECRET = "a-client-secret-for-tests-only"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def provider(live_server):
    """node-oidc-provider on a free port, registered for this live server's callback."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True)
    port = _free_port()
    callback = f"{live_server.url}/login/sso/callback/"
    proc = subprocess.Popen(
        ["node", "provider.mjs", str(port), CLIENT_ID, CLIENT_SECRET, callback],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # its warnings: dev keys, in-memory store, Node 20
        text=True,
    )
    line = proc.stdout.readline()  # "ready ISSUER", or "" when it died
    assert line.startswith("ready"), f"the OpenID provider did not start (exit {proc.poll()})"
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def sso(settings, provider, world, concurrent_db):
    settings.CLASSVAULT_OIDC_ISSUER = provider
    settings.CLASSVAULT_OIDC_DISCOVERY_URL = f"{provider}/.well-known/openid-configuration"
    settings.CLASSVAULT_OIDC_CLIENT_ID = CLIENT_ID
    settings.CLASSVAULT_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.CLASSVAULT_OIDC_SCOPES = "openid email profile eduperson"
    settings.CLASSVAULT_OIDC_LINK_CLAIM = "email"
    settings.CLASSVAULT_OIDC_ROLE_CLAIM = "eduperson_affiliation"
    settings.CLASSVAULT_OIDC_ROLE_MAP = {"student": "student_teacher", "employee": "school_admin"}
    settings.CLASSVAULT_OIDC_MFA_CLAIM = "eduperson_assurance"
    settings.CLASSVAULT_OIDC_MFA_VALUES = ["https://refeds.org/profile/mfa"]
    return provider


def sso_login(base: str, account: str) -> tuple[requests.Session, requests.Response]:
    """Press "Inloggen via uw instelling", log in at the provider, follow it back."""
    browser = requests.Session()
    page = browser.get(f"{base}/login/")
    assert "Inloggen via uw instelling" in page.text
    href = re.search(r'href="(/login/sso/[^"]*)"', page.text).group(1)
    answer = browser.get(base + href)
    for _step in range(3):  # the provider's login form, then (if it asks) its consent form
        if "/interaction/" not in answer.url:
            break
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', answer.text, re.S)
        assert form, answer.text
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
        if 'name="login"' in form.group(2):
            fields.update(login=account, password="any password: the dev form takes any")
        answer = browser.post(requests.compat.urljoin(answer.url, form.group(1)), data=fields)
    return browser, answer


def test_a_provisioned_trainer_logs_in_through_the_institution(sso, live_server):
    browser, answer = sso_login(live_server.url, "tom")
    # Linked to the user the institute admin made (by the e-mail claim); a trainer, so on
    # to set up the second factor (the provider did not vouch for one) before any page.
    assert answer.status_code == 200, answer.text
    assert answer.url.startswith(f"{live_server.url}/account/second-factor/")
    assert "Tweede factor instellen" in answer.text
    tom = User.objects.get(username="tom")
    assert FederatedIdentity.objects.get(user=tom).subject == "tom"
    link = AuditEvent.objects.get(action="auth.sso_link", object_id="tom")
    assert link.data["provisioned"] is False
    assert AuditEvent.objects.filter(action="auth.login", object_id="tom").exists()
    assert browser.get(f"{live_server.url}/api/v1/me").status_code == 401  # factor first


def test_the_federations_second_factor_counts_where_configured(sso, live_server):
    browser, answer = sso_login(live_server.url, "piet")
    assert answer.url == f"{live_server.url}/", answer.url
    assert "Opvallende gebeurtenissen" in answer.text  # the privacy officer's home
    assert browser.get(f"{live_server.url}/api/v1/me").json()["username"] == "piet"


def test_a_role_claim_provisions_an_unknown_student_teacher(sso, live_server):
    browser, answer = sso_login(live_server.url, "stella")
    assert answer.url == f"{live_server.url}/", answer.url
    stella = User.objects.get(email="stella@example.org")
    assert stella.role == Role.STUDENT_TEACHER and not stella.has_usable_password()
    assert AuditEvent.objects.get(action="auth.sso_link", object_id=stella.username).data[
        "provisioned"
    ]
    assert browser.get(f"{live_server.url}/api/v1/me").json()["role"] == "student_teacher"


def test_an_unknown_identity_is_refused_with_a_dutch_page(sso, live_server):
    browser, answer = sso_login(live_server.url, "mallory")
    # "employee" maps to school_admin, which needs a school: never provisioned by a claim.
    assert answer.status_code == 403
    assert "U kunt nog niet inloggen bij ClassVault" in answer.text
    assert "Vraag de beheerder van uw lerarenopleiding" in answer.text
    assert not User.objects.filter(email="mallory@example.org").exists()
    assert not FederatedIdentity.objects.exists()
    assert browser.get(f"{live_server.url}/api/v1/me").status_code == 401


def test_a_deactivated_user_is_refused(sso, live_server):
    User.objects.filter(username="anna").update(is_active=False)
    _browser, answer = sso_login(live_server.url, "anna")
    assert answer.status_code == 403
    assert "U kunt nog niet inloggen bij ClassVault" in answer.text


def test_without_configuration_there_is_no_institution_button(live_server, db):
    page = requests.get(f"{live_server.url}/login/")
    assert "Inloggen via uw instelling" not in page.text
    assert requests.get(f"{live_server.url}/login/sso/").status_code == 404
