"""The second factor (TOTP + recovery codes): required for privacy officers, institute admins
and trainers on the token endpoint and the web pages; optional for everyone else."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.audit.models import AuditEvent
from classvault.people import factors
from support.personas import NOW, PASSWORD, Api, second_factor_device, totp_code

PRIVILEGED = ["admin", "privacy", "trainer"]
OTHERS = ["student", "school_admin", "supervisor"]


def token(username: str, **extra):
    return Api().post("/auth/token", {"username": username, "password": PASSWORD, **extra})


def fresh_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return totp_code(device.bin_key)


@pytest.mark.parametrize("persona", PRIVILEGED)
def test_a_privileged_role_without_an_authenticator_gets_no_token(world, persona):
    response = token(getattr(world, persona).username)
    assert response.status_code == 403
    assert "tweede factor" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="auth.token_issue").exists()


@pytest.mark.parametrize("persona", PRIVILEGED)
def test_a_privileged_role_needs_the_code_with_the_password(world, persona):
    user = getattr(world, persona)
    second_factor_device(user)
    missing = token(user.username)
    assert missing.status_code == 401 and '"otp"' in missing.json()["detail"]
    assert token(user.username, otp="000000").status_code == 401
    assert token(user.username, otp="not a code").status_code == 401
    code = fresh_code(user)
    # django-otp throttles after a wrong code: even the right one waits a second.
    assert token(user.username, otp=code).status_code == 401
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2), tick=False):
        code = fresh_code(user)
        assert token(user.username, otp=code).status_code == 200
        # The same code again is a replay: refused.
        assert token(user.username, otp=code).status_code == 401


@pytest.mark.parametrize("persona", OTHERS)
def test_other_roles_keep_the_contracts_token_endpoint(world, persona):
    assert token(getattr(world, persona).username).status_code == 200


def test_someone_who_enrolled_voluntarily_needs_the_code_too(world):
    factors.factor_enrol_direct(user=world.student, now=NOW)
    assert token("sanne").status_code == 401
    assert token("sanne", otp=fresh_code(world.student)).status_code == 200


def test_a_recovery_code_works_once_and_is_audited(world):
    client = Client()
    client.post("/login/", {"username": "anna", "password": PASSWORD})
    enrol = client.get("/account/second-factor/")
    key = TOTPDevice.objects.get(user=world.admin, confirmed=False).bin_key
    done = client.post("/account/second-factor/", {"code": totp_code(key)})
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert enrol.status_code == 200 and len(codes) == 10
    assert token("anna", otp=codes[0]).status_code == 200
    assert token("anna", otp=codes[0]).status_code == 401
    event = AuditEvent.objects.get(action="auth.recovery_code_use")
    assert event.object_id == "anna" and event.data["left"] == 9


# --- the web pages -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PRIVILEGED)
def test_after_the_password_a_privileged_role_is_sent_to_enrolment(world, persona):
    user = getattr(world, persona)
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/second-factor/")
    # No page, and no API call by session, before the second factor.
    for path in ("/", "/recordings/", "/institute/users/", "/officer/audit/", "/notifications/"):
        page = client.get(path)
        assert page.status_code == 302 and page["Location"].startswith("/account/second-factor/")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/privacy").status_code == 200  # public pages stay open


def test_enrolment_shows_an_inline_qr_code_and_confirms_with_a_code(world):
    client = Client()
    client.post("/login/", {"username": "tom", "password": PASSWORD})
    page = client.get("/account/second-factor/")
    html = page.content.decode()
    assert "Tweede factor instellen" in html and "<svg" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # nothing fetched from elsewhere
    key = TOTPDevice.objects.get(user=world.trainer, confirmed=False).bin_key
    wrong = client.post("/account/second-factor/", {"code": "123456"})
    assert wrong.status_code == 422 and "Die code klopt niet" in wrong.content.decode()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2), tick=False):
        done = client.post("/account/second-factor/", {"code": totp_code(key)})
        assert "Uw tweede factor is ingesteld" in done.content.decode()
        assert AuditEvent.objects.get(action="auth.factor_enrol").object_id == "tom"
        assert "Mijn leraren-in-opleiding" in client.get("/").content.decode()


def test_an_enrolled_person_types_the_code_after_the_password(world):
    device = second_factor_device(world.privacy)
    client = Client()
    response = client.post("/login/", {"username": "piet", "password": PASSWORD, "next": "/"})
    assert response["Location"].startswith("/login/code/")
    assert client.get("/").status_code == 302
    # Enrolling again (replacing the phone) is not a way around the code.
    assert client.get("/account/second-factor/")["Location"] == "/login/code/"
    wrong = client.post("/login/code/", {"code": "000000"})
    assert wrong.status_code == 401 and "Die code klopt niet" in wrong.content.decode()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2), tick=False):
        right = client.post("/login/code/", {"code": totp_code(device.bin_key), "next": "/"})
        assert right.status_code == 302 and right["Location"] == "/"
        assert "Opvallende gebeurtenissen" in client.get("/").content.decode()


def test_a_student_teacher_goes_straight_in(world):
    client = Client()
    response = client.post("/login/", {"username": "sanne", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def _pages_without_arguments(patterns=None, prefix=""):
    """Every page of the project that needs no argument in its path."""
    from django.urls import URLPattern, URLResolver, get_resolver

    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _pages_without_arguments(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "<" not in route and "(" not in route:
            yield "/" + (prefix + route).lstrip("^").rstrip("$")


def test_no_page_opens_to_a_session_without_its_second_factor(world):
    """A privacy officer who typed only the password reaches no page of the project but the
    second-factor pages and the public ones: found by walking every URL, so a new app's pages
    cannot slip through a prefix (as "/privacy" once opened "/privacy-office/")."""
    second_factor_device(world.privacy)
    client = Client()
    client.post("/login/", {"username": "piet", "password": PASSWORD})
    public = {"/privacy", "/favicon.ico", "/login/", "/logout/", "/login/code/"}
    public.add("/account/second-factor/")
    pages = {
        p for p in _pages_without_arguments() if not p.startswith(("/api/", "/static/", "/i18n/"))
    }
    assert "/privacy-office/requests/" in pages and "/officer/audit/" in pages
    opened = []
    for path in sorted(pages - public):
        response = client.get(path)
        if response.status_code != 302 or not response["Location"].startswith("/login/code/"):
            opened.append((path, response.status_code))
    assert opened == []


@pytest.mark.parametrize(
    "path",
    ["/privacy-office/requests/", "/privacy-office/requests/new/", "/privacy-office/register/"],
)
def test_the_privacy_office_needs_the_second_factor(world, path):
    second_factor_device(world.privacy)
    client = Client()
    client.post("/login/", {"username": "piet", "password": PASSWORD})
    assert client.get(path)["Location"].startswith("/login/code/")
    assert client.post(path, {}).status_code == 302
