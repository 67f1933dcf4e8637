"""The student teacher and her school supervisor manage a recording in a real Chromium:
share, unshare, screenings (and a fellow student only inside the window), the access panel,
deletion with a confirmation, the consent register. Desktop and 360 px wide."""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from support.browser import AMSTERDAM, collect_problems, fits, log_in, log_out, upload_lesson
from support.liveserver import running_server

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (360, 740)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("student") / "data") as base:
        yield base


@pytest.fixture(params=list(WIDTHS))
def watched(request, page, server):
    """The page at one width, with every console error and failed response collected;
    ``expected`` lists the URLs of refusals the test walks into on purpose."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    expected = []
    problems = collect_problems(page, expected)
    yield SimpleNamespace(page=page, problems=problems, expected=expected)
    assert problems == []


def no_overflow(page):
    page.wait_for_load_state()  # after a click that navigates, measure the new page
    assert fits(page), page.url


def access_entry(page, name):
    return page.locator("#access-list li").filter(has_text=name)


def plan_screening(page, attendee, start=None):
    page.get_by_role("link", name="Vertoning plannen").click()
    no_overflow(page)
    page.get_by_label("Online, in ClassVault").check()
    if start is not None:
        page.get_by_label("Begint om").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Eindigt om").fill(
            (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        )
    page.get_by_label(attendee).check()
    page.get_by_role("button", name="Vertoning plannen").click()


def test_student_teacher_shares_unshares_and_plans_screenings(server, watched):
    page = watched.page
    taalles = upload_lesson(
        server, f"Taalles {page.viewport_size['width']}", ["Ada Appel", "Dewi Dekker"]
    )
    log_in(page, server, "sanne", check_fit=True)
    queue = page.locator("#queue")
    assert "Rekenles groep 7" in queue.inner_text()
    queue.get_by_role("link", name=re.compile("Rekenles")).click()
    no_overflow(page)
    for name, why in (
        ("Sanne de Student", "beheert wie toegang heeft"),
        ("Mark Mentor", "begeleider op de school"),
        ("Olga Opleider", "opleider: met hen gedeeld"),
        ("Pim Privacy", "privacyfunctionaris"),
    ):
        assert why in access_entry(page, name).inner_text()
    # Unshare, then share again: the panel follows.
    page.get_by_role("button", name="Stop met delen met Olga Opleider").click()
    page.get_by_text("De opname is niet langer gedeeld met deze persoon.").wait_for()
    assert access_entry(page, "Olga Opleider").count() == 0
    no_overflow(page)
    page.get_by_label("Delen met", exact=True).select_option("olga")
    page.get_by_role("button", name="Delen", exact=True).click()
    page.get_by_text("De opname is nu gedeeld.").wait_for()
    assert "met hen gedeeld" in access_entry(page, "Olga Opleider").inner_text()
    # Bram Bos is in this lesson without consent to be shown: refused, and she sees who.
    watched.expected.append("/screenings/new/")  # the 409 she is shown
    plan_screening(page, "Tim Medestudent")
    alert = page.get_by_role("alert")
    assert "Bram Bos" in alert.inner_text() and "Ada Appel" not in alert.inner_text()
    no_overflow(page)

    # A lesson where everyone may be shown: a screening tomorrow, then one running now.
    page.goto(server + taalles)
    tomorrow = (datetime.now(AMSTERDAM) + timedelta(days=1)).replace(second=0, microsecond=0)
    plan_screening(page, "Tim Medestudent", start=tomorrow)
    page.get_by_text("De vertoning is gepland.").wait_for()
    assert "daarvoor geen toegang" in access_entry(page, "Tim Medestudent").inner_text()
    log_out(page)
    log_in(page, server, "tim", check_fit=True)
    watched.expected.append(taalles)  # Tim's 404s outside the window
    assert page.goto(server + taalles).status == 404  # before the window
    page.goto(server + "/")
    log_out(page)
    log_in(page, server, "sanne", check_fit=True)
    page.goto(server + taalles)
    plan_screening(page, "Tim Medestudent")  # starts now, the form's default
    page.get_by_text("De vertoning is gepland.").wait_for()
    assert "tot" in access_entry(page, "Tim Medestudent").first.inner_text()
    log_out(page)
    log_in(page, server, "tim", check_fit=True)
    assert page.goto(server + taalles).status == 200  # inside the window
    page.get_by_text("U mag deze opname bekijken tijdens een online vertoning").wait_for()
    assert page.get_by_role("button", name="Delen", exact=True).count() == 0
    no_overflow(page)
    log_out(page)
    # She calls both off; Tim is out again.
    log_in(page, server, "sanne", check_fit=True)
    page.goto(server + taalles)
    for _ in range(2):
        page.get_by_role("button", name=re.compile("Zeg de vertoning van")).first.click()
        page.get_by_text("De vertoning is afgezegd.").wait_for()
    assert access_entry(page, "Tim Medestudent").count() == 0
    log_out(page)
    log_in(page, server, "tim", check_fit=True)
    assert page.goto(server + taalles).status == 404


def test_supervisor_manages_on_her_behalf_and_reads_the_consent_register(server, watched):
    page = watched.page
    log_in(page, server, "mentor", check_fit=True)
    students = page.locator("#students")
    assert "Sanne de Student" in students.inner_text()
    assert students.get_by_role("link").count() >= 1  # her newest recording
    page.get_by_role("link", name="Alle opnames die u mag zien").click()
    page.get_by_role("link", name=re.compile("Rekenles")).click()
    no_overflow(page)
    assert "Mark Mentor" in access_entry(page, "Mark Mentor").inner_text()
    page.get_by_role("button", name="Stop met delen met Olga Opleider").click()
    page.get_by_text("De opname is niet langer gedeeld met deze persoon.").wait_for()
    page.get_by_label("Delen met", exact=True).select_option("olga")
    page.get_by_role("button", name="Delen", exact=True).click()
    page.get_by_text("De opname is nu gedeeld.").wait_for()
    page.get_by_role("navigation").get_by_role("link", name="Leerlingen en toestemming").click()
    page.get_by_text("Ada Appel").wait_for()
    assert page.locator("main form[method=post]").count() == 0
    no_overflow(page)  # at 360 px too: each pupil's row is a small card


def test_student_teacher_deletes_after_confirming(server, watched):
    page = watched.page
    lesson = upload_lesson(server, f"Proefles {page.viewport_size['width']}", ["Ada Appel"])
    log_in(page, server, "sanne", check_fit=True)
    page.goto(server + lesson)
    page.get_by_role("link", name="Deze opname definitief verwijderen…").click()
    no_overflow(page)
    page.get_by_role("button", name="Ja, definitief verwijderen").click()
    page.wait_for_url(server + "/")
    page.get_by_text("definitief verwijderd").wait_for()
    watched.expected.append(lesson)
    assert page.goto(server + lesson).status == 404
