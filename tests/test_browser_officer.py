"""The school admin's and the privacy officer's jobs in a real Chromium against
`classvault serve` on the demo data, through the web interface only."""

import re

import pytest

from support.browser import log_in
from support.liveserver import running_server

pytestmark = pytest.mark.browser

ROSTER = (
    "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;klas\n"
    "E001;Fleur;van;Dijk;12-05-2015;Groep 5\n"
    "E002;Gijs;;Groen;03-02-2015;Groep 5\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("officer") / "data") as base:
        yield base


class Watch:
    """Console errors and failed responses on the pages walked."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # /favicon.ico belongs to the site shell (issue 11, defect 2), not to these pages.
        if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            self.problems.append(f"console: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.problems.append(f"{response.status} {response.url}")


def fits(page) -> None:
    """Nothing overflows sideways, at desktop width and at 360 px."""
    page.wait_for_load_state()  # a click may still be loading the next page
    for width, height in ((1280, 800), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.id)""")
        assert overflow <= 0, f"{page.url} is {overflow} px too wide at {width} px: {wide}"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_school_admin_keeps_the_roster_and_the_consent_register(server, page, tmp_path):
    watch = Watch(page)
    log_in(page, server, "schooladmin")
    register = page.locator("#consent-register")
    assert "Toestemmingsregister" in register.inner_text()
    assert "Cas Cornelis" in register.inner_text()  # no consent in the demo
    fits(page)

    # Add a pupil.
    page.get_by_role("link", name="Leerling toevoegen").first.click()
    fits(page)
    page.get_by_label("Leerlingnummer").fill("D100")
    page.get_by_label("Volledige naam").fill("Noor Nieuw")
    page.get_by_label("Geboortedatum").fill("2009-03-01")
    page.get_by_label("Groep").fill("Groep 8")
    page.get_by_role("button", name="Leerling toevoegen").click()
    page.get_by_text("Noor Nieuw is aan de leerlingenlijst toegevoegd.").wait_for()
    fits(page)

    # Register her consent form: the page says who must sign on the signing date.
    page.get_by_role("link", name="Toestemmingsformulier registreren").click()
    hint = page.locator("#signer-hint")
    page.get_by_label("Ondertekend op").fill("2024-06-01")
    page.get_by_label("Ondertekend op").dispatch_event("change")
    assert hint.locator(".hint-guardian").is_visible()
    assert page.get_by_label("Ouder of verzorger").is_checked()
    page.get_by_label("Ondertekend op").fill("2025-06-01")
    page.get_by_label("Ondertekend op").dispatch_event("change")
    assert hint.locator(".hint-pupil").is_visible()
    assert page.get_by_label("Leerling", exact=True).is_checked()
    fits(page)
    page.get_by_label("Toestemming om opgenomen te worden (beeld en geluid)").check()
    page.get_by_label("Naam van wie ondertekende").fill("Noor Nieuw")
    page.get_by_role("button", name="Toestemmingsformulier registreren").click()
    page.get_by_text("Het toestemmingsformulier van Noor Nieuw is geregistreerd.").wait_for()

    # Import a small roster: preview first, then import.
    csv = tmp_path / "export.csv"
    csv.write_text(ROSTER, encoding="utf-8")
    page.goto(server + "/")
    page.get_by_role("link", name="Leerlingenlijst importeren").first.click()
    fits(page)
    page.get_by_label(re.compile("Export van de leerlingenlijst")).set_input_files(str(csv))
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    assert "2 toe te voegen" in page.locator("#preview-summary").inner_text()
    assert page.get_by_role("cell", name="Fleur van Dijk").is_visible()
    fits(page)
    page.get_by_role("button", name="Deze leerlingen importeren").click()
    page.get_by_text("De leerlingenlijst is geïmporteerd: 2 toegevoegd").wait_for()
    assert page.get_by_role("link", name="Gijs Groen").is_visible()
    fits(page)

    # Register a withdrawal made in person.
    page.get_by_role("link", name="Ada Appel").click()
    page.get_by_role("link", name="Intrekking registreren").click()
    fits(page)
    page.get_by_label("Naam van wie langskwam").fill("Ouder van Ada")
    page.get_by_label("Ik heb deze persoon persoonlijk gesproken").check()
    page.get_by_role("button", name="Intrekking registreren").click()
    page.get_by_text("De intrekking voor Ada Appel is geregistreerd.").wait_for()
    assert watch.problems == []


def test_the_consent_register_is_a_card_per_group_up_to_the_shells_breakpoint(server, page):
    """The shell stacks tables up to 48rem; the register's rows are whole cards there too
    (the group's row header included), not half a card spread over the width."""
    log_in(page, server, "schooladmin")
    for path in ("/", "/consent/pupils/"):
        page.goto(server + path)
        fits(page)
        for width in (360, 700):
            page.set_viewport_size({"width": width, "height": 740})
            shown = page.evaluate("""() => [...document.querySelectorAll(
                'main table.stack tbody tr:first-child > *')]
                .map(c => getComputedStyle(c).display)""")
            assert shown and set(shown) <= {"block", "none"}, (path, width, shown)


def test_school_admin_is_told_why_a_pupil_under_16_cannot_sign(server, page):
    watch = Watch(page)
    log_in(page, server, "schooladmin")
    page.get_by_role("link", name="Leerlingen en toestemming").first.click()
    page.get_by_role("link", name="Cas Cornelis").click()
    page.get_by_role("link", name="Toestemmingsformulier registreren").click()
    page.get_by_label("Toestemming om opgenomen te worden (beeld en geluid)").check()
    page.get_by_label("Leerling", exact=True).check()
    page.get_by_label("Naam van wie ondertekende").fill("Cas Cornelis")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Toestemmingsformulier registreren").click()
    assert posted.value.status == 422
    assert "onder de 16 moet een ouder of verzorger" in page.locator("#problem").inner_text()
    fits(page)
    assert [p for p in watch.problems if "422" not in p] == []


def test_privacy_officer_holds_a_recording_and_searches_the_log(server, page):
    watch = Watch(page)
    log_in(page, server, "privacy")
    assert page.locator("#worker-warning").is_visible()  # served without a worker
    fits(page)

    # Place and release a legal hold.
    page.get_by_role("link", name="Juridische bewaring (legal hold)").first.click()
    fits(page)
    page.get_by_role("link", name=re.compile("Rekenles")).click()
    page.get_by_label("Reden: de wettelijke verplichting").fill("Vordering van het OM")
    page.get_by_label("Kenmerk (bijv. een zaaknummer)").fill("OM-2026-0412")
    page.get_by_role("button", name="Juridische bewaring instellen").click()
    page.get_by_text("De juridische bewaring (legal hold) is ingesteld").wait_for()
    assert "OM-2026-0412" in page.locator("#active-hold").inner_text()
    fits(page)
    page.goto(server + "/")
    assert "OM-2026-0412" in page.locator("main").inner_text()
    page.get_by_role("link", name=re.compile("Rekenles")).first.click()
    page.get_by_role("button", name="Juridische bewaring opheffen").click()
    page.get_by_text("De juridische bewaring (legal hold) is opgeheven.").wait_for()

    # The recording's audit trail: Dutch labels, names and purposes.
    page.get_by_role("link", name="Auditspoor van deze opname").click()
    page.wait_for_url(re.compile("recording="))
    table = page.locator("table.events")
    text = table.inner_text()
    assert "Juridische bewaring (legal hold) ingesteld" in text
    assert "Juridische bewaring (legal hold) opgeheven" in text
    assert "Pim Privacy (privacy)" in text and "wettelijke verplichting" in text
    assert "Opname gedeeld" in text and "Sanne de Student (sanne)" in text
    assert "legal_hold.place" not in text and "vault.key_create" not in text
    fits(page)

    # Check the chain now, a few times (each check and each search is itself an event, so
    # the log grows past one page even on a fresh demo); the last outcome is shown.
    for _ in range(5):
        page.get_by_role("button", name="Nu controleren").click()
        page.get_by_text("Het auditlog is intact").wait_for()
    assert "Intact bij de laatste controle" in page.locator("#verification").inner_text()

    # By actor.
    page.get_by_role("link", name="Auditlog").first.click()
    page.get_by_label("Wie (gebruikersnaam)").fill("schooladmin")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url(re.compile("actor=schooladmin"))
    text = page.locator("table.events").inner_text()
    assert "Toestemmingsformulier geregistreerd" in text
    assert "Sara Schoolbureau (schooladmin)" in text and "Pim Privacy" not in text

    # Everything, technical events included: more than one page, newest first.
    page.get_by_role("link", name="Zoekopdracht wissen").click()
    page.wait_for_url(server + "/officer/audit/")
    page.get_by_label("Technische gebeurtenissen tonen (sleutelbeheer)").check()
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url(re.compile("technical=on"))
    assert page.locator("table.events tbody tr").count() == 50
    assert page.locator("table.events tr.technical").count() > 0
    newest = page.locator("table.events tbody").inner_text()
    page.get_by_role("link", name="Oudere gebeurtenissen →").click()
    page.wait_for_url(re.compile("before="))
    assert page.locator("table.events tbody").inner_text() != newest
    page.get_by_role("link", name="← Nieuwere gebeurtenissen").click()
    page.wait_for_url(re.compile("after="))
    assert page.locator("table.events tbody tr").count() == 50
    fits(page)

    # A withdrawal for a pupil of any school: pick the school, then the pupil.
    page.goto(server + "/")
    page.get_by_role("link", name="Leerlingen en toestemming (intrekkingen)").click()
    page.get_by_label("School").select_option("LINDE")
    page.get_by_role("button", name="Toon").first.click()
    page.wait_for_url(re.compile("school=LINDE"))
    page.get_by_role("link", name="Dewi Dekker").click()
    assert page.get_by_role("link", name="Toestemmingsformulier registreren").count() == 0
    page.get_by_role("link", name="Intrekking registreren").click()
    page.get_by_label("Tonen aan medestudenten").check()
    page.get_by_label("Naam van wie langskwam").fill("Ouder van Dewi")
    page.get_by_label("Ik heb deze persoon persoonlijk gesproken").check()
    page.get_by_role("button", name="Intrekking registreren").click()
    page.get_by_text("De intrekking voor Dewi Dekker is geregistreerd.").wait_for()
    fits(page)
    assert watch.problems == []
