"""The contacts' links on the public privacy page are https: or mailto: only (issue 9, 12c)."""

import pytest

from classvault.consent.models import StatementVersion

NEW = {"version": "2", "text": "# Privacyverklaring\n\nGewijzigde tekst over opnames."}


def _contacts(**authority) -> list[dict]:
    return [
        {"kind": "privacy_officer", "name": "Privacy officer", "email": "po@example.org"},
        {"kind": "data_protection_officer", "name": "FG", "email": "fg@example.org"},
        {
            "kind": "supervisory_authority",
            "name": "Autoriteit Persoonsgegevens",
            "website": "https://www.autoriteitpersoonsgegevens.nl",
            **authority,
        },
    ]


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://www.autoriteitpersoonsgegevens.nl",
        "vbscript:msgbox(1)",
        "//evil.example.org",
        "https://",
        "mailto:not an address",
        "www.autoriteitpersoonsgegevens.nl",
    ],
)
def test_a_website_that_is_not_https_is_422(world, website):
    response = world.api(world.admin).post(
        "/privacy-statements", {**NEW, "contacts": _contacts(website=website)}
    )
    assert response.status_code == 422, response.content
    assert "https://" in response.json()["detail"]
    assert not StatementVersion.objects.filter(version="2").exists()


@pytest.mark.parametrize("email", ["javascript:alert(1)", "po", "po@example.org?cc=x@y.z"])
def test_an_email_that_is_not_an_address_is_422(world, email):
    contacts = _contacts()
    contacts[0]["email"] = email
    response = world.api(world.admin).post("/privacy-statements", {**NEW, "contacts": contacts})
    assert response.status_code == 422, response.content


@pytest.mark.parametrize(
    "website",
    [
        "https://www.autoriteitpersoonsgegevens.nl/contact",
        "HTTPS://example.org",
        "mailto:info@example.org",
        "",
    ],
)
def test_https_and_mailto_websites_are_accepted(world, website):
    response = world.api(world.admin).post(
        "/privacy-statements", {**NEW, "contacts": _contacts(website=website)}
    )
    assert response.status_code == 201, response.content
