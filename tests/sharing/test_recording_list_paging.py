"""GET /api/v1/recordings at country scale: pages with a cursor, a fixed number of queries
whatever the size, and (on PostgreSQL) a plan driven by indexes, not a scan of every
recording in the country."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from classvault.core.paging import keyset_page
from classvault.people.models import User
from classvault.recordings.models import Assessment, Recording, RecordingStatus
from classvault.recordings.schemas import RecordingItem
from classvault.recordings.selectors import RECORDING_ITEM_VALUES, recording_item_from_values
from classvault.sharing.models import Screening, ScreeningMode, Share
from classvault.sharing.selectors import recordings_inbox, recordings_page, recordings_visible
from support.personas import NOW


def bulk(owner: User, count: int, *, start=NOW, school=None) -> list[Recording]:
    """``count`` ready recordings of ``owner`` (rows only), one a minute back from ``start``."""
    return Recording.objects.bulk_create(
        Recording(
            owner=owner,
            school=school or owner.enrolment.school,
            title=f"Les {i}",
            recorded_at=start - timedelta(minutes=i),
            expires_at=start + timedelta(days=90),
            created_at=start,
            status=RecordingStatus.READY,
        )
        for i in range(count)
    )


def pages(api, **params):
    """Every page of the list, following X-Next-Cursor; (pages, Link headers)."""
    seen, links = [], []
    while True:
        response = api.get("/recordings", **params)
        assert response.status_code == 200
        seen.append([item["id"] for item in response.json()])
        if "X-Next-Cursor" not in response:
            assert "Link" not in response
            return seen, links
        links.append(response["Link"])
        params["cursor"] = response["X-Next-Cursor"]


def test_the_list_is_paged_newest_first_without_repeats_or_gaps(world, frozen):
    made = bulk(world.student, 5)
    api = world.api(world.student)
    got, links = pages(api, limit=2)
    assert [len(page) for page in got] == [2, 2, 1]
    assert [pk for page in got for pk in page] == [str(r.pk) for r in made]  # newest first
    assert links[0].startswith("</api/v1/recordings?")
    assert links[0].endswith('>; rel="next"') and "limit=2" in links[0]


def test_ties_in_recorded_at_are_ordered_by_id(world, frozen):
    same = Recording.objects.bulk_create(
        Recording(
            owner=world.student,
            school=world.north,
            title="Tegelijk",
            recorded_at=NOW,
            expires_at=NOW + timedelta(days=90),
            created_at=NOW,
            status=RecordingStatus.READY,
        )
        for _ in range(4)
    )
    got, _links = pages(world.api(world.student), limit=3)
    assert [pk for page in got for pk in page] == sorted(
        (str(r.pk) for r in same), key=uuid.UUID, reverse=True
    )


def test_the_privacy_officer_gets_a_page_not_the_country(world, frozen):
    bulk(world.student, 120)
    response = world.api(world.privacy).get("/recordings")
    assert len(response.json()) == 100  # the default page
    assert response["X-Next-Cursor"]
    got, _links = pages(world.api(world.privacy), limit=500)
    assert [len(page) for page in got] == [120]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"cursor": "not-a-cursor"}])
def test_a_bad_limit_or_cursor_is_422(world, frozen, params):
    response = world.api(world.student).get("/recordings", **params)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_a_cursor_shows_nothing_the_rule_hides(world, frozen):
    """A cursor only says where to go on: paging with one taken from someone else's list
    still answers with the caller's own recordings only."""
    bulk(world.student, 3)
    theirs = bulk(world.fellow, 3)
    officer = world.api(world.privacy).get("/recordings", limit=1)
    got, _links = pages(world.api(world.fellow), cursor=officer["X-Next-Cursor"])
    assert {pk for page in got for pk in page} <= {str(r.pk) for r in theirs}


def test_the_list_takes_the_same_queries_for_3_or_300_recordings(world, frozen):
    counts = {}
    for persona in (world.student, world.trainer, world.supervisor, world.privacy):
        api = world.api(persona)
        counts[persona.username] = []
        for extra in (3, 297):
            Share.objects.bulk_create(
                Share(recording=r, user=world.trainer, granted_by=world.student, granted_at=NOW)
                for r in bulk(world.student, extra, start=NOW - timedelta(hours=extra))
            )
            with CaptureQueriesContext(connection) as queries:
                response = api.get("/recordings", limit=500)
            assert response.status_code == 200 and response.json()
            counts[persona.username].append(len(queries))
        Share.objects.all().delete()
        Recording.objects.all().delete()
    # Authentication (the token with its user), the token's rate-limit count (one upsert),
    # then the one list query.
    assert counts == {name: [3, 3] for name in counts}, counts


def test_the_list_is_written_exactly_as_its_schema_would_write_it(world, frozen):
    """The list's items skip pydantic (core.paging.page_response): they must be what the
    operation's response schema would have made of them, byte for byte, in the same JSON
    and content type as every other answer."""
    bulk(world.student, 3)
    api = world.api(world.student)
    response = api.get("/recordings")
    items, _after = recordings_page(actor=world.student, now=NOW)
    through_schema = [RecordingItem.model_validate(item).model_dump() for item in items]
    assert response.content == json.dumps(through_schema, cls=NinjaJSONEncoder).encode()
    assert [set(item) for item in response.json()] == [set(RecordingItem.model_fields)] * 3
    assert response["Content-Type"] == api.get("/me")["Content-Type"]
    assert response["Cache-Control"] == "no-store"


def _plain_page(actor, now, limit, cursor):
    """The page the plain ORM gives: the reference the prepared SQL must match."""
    rows = recordings_visible(actor=actor, now=now).values(*RECORDING_ITEM_VALUES)
    page, after = keyset_page(rows, field="recorded_at", limit=limit, cursor=cursor)
    return [recording_item_from_values(row) for row in page], after


def test_the_prepared_list_is_the_rule_for_every_role_and_page(world, frozen):
    """recordings_page runs SQL compiled once per role (core/prepared.py): for each persona,
    one after the other on one connection, and every page, it answers what the queryset of
    the rule answers, and one person's values never stay in the next person's list."""
    bulk(world.student, 7)
    bulk(world.fellow, 4, start=NOW - timedelta(minutes=3))  # same instants as sanne's
    shared = bulk(world.student, 3, start=NOW - timedelta(days=1))
    Share.objects.bulk_create(
        Share(recording=r, user=world.trainer, granted_by=world.student, granted_at=NOW)
        for r in shared
    )
    gone = world.api(world.fellow)  # a token first: a deactivated account's list is empty
    User.objects.filter(pk=world.fellow.pk).update(is_active=False)
    people = User.objects.filter(
        username__in=["sanne", "femke", "tom", "tara", "uri", "mira", "otto", "piet", "anna"]
    ).order_by("username")
    seen_any = set()
    for now in (NOW, NOW + timedelta(days=91)):  # and after the bulk recordings expired
        for actor in people:
            for limit in (1, 3, 100):
                cursor, pages = None, 0
                while True:
                    got = recordings_page(actor=actor, now=now, limit=limit, cursor=cursor)
                    assert got == _plain_page(actor, now, limit, cursor), (actor, now, limit)
                    seen_any |= {item["id"] for item in got[0]}
                    cursor, pages = got[1], pages + 1
                    if cursor is None:
                        break
                assert pages < 20
    assert len(seen_any) == 14
    assert gone.get("/recordings").status_code == 401


# --- the plan on PostgreSQL ------------------------------------------------------------


def _recordings_read(actor, now) -> tuple[int, list[str]]:
    """How many rows of the recordings table the first page's query reads (returned and
    filtered away, over every loop), and the kinds of plan node that read them."""
    page = recordings_visible(actor=actor, now=now).select_related("owner")
    plan = json.loads(
        page.order_by("-recorded_at", "-pk")[:101].explain(format="json", analyze=True)
    )
    read, kinds = 0, []

    def walk(node):
        nonlocal read
        if node.get("Relation Name") == "recordings_recording":
            kinds.append(node["Node Type"])
            loops = node.get("Actual Loops", 1)
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return read, kinds


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the query plan is PostgreSQL's (make test's 2nd pass)",
)
def test_the_list_plan_does_not_scan_the_recordings_table(world, frozen):
    """With a realistically shaped seed (many student teachers, each few recordings, a
    share for some), no role's list reads every recording: PostgreSQL reaches them through
    the owner, share, supervisor and screening indexes, or, for the privacy officer, walks
    the newest-first index from the cursor on."""
    others = User.objects.bulk_create(
        User(username=f"st{i}", role="student_teacher", full_name=f"Student {i}")
        for i in range(400)
    )
    rows = [
        Recording(
            owner=owner,
            school=world.north,
            title="Les",
            recorded_at=NOW - timedelta(minutes=i * 7 + n),
            expires_at=NOW + timedelta(days=90),
            created_at=NOW,
            status=RecordingStatus.READY,
        )
        for i, owner in enumerate(others)
        for n in range(50)
    ]
    Recording.objects.bulk_create(rows, batch_size=5000)
    mine = bulk(world.student, 15)
    for r in mine[:10]:
        Share.objects.create(
            recording=r, user=world.trainer, granted_by=world.student, granted_at=NOW
        )
    screening = Screening.objects.create(
        recording=mine[0],
        mode=ScreeningMode.ONLINE,
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=1),
        scheduled_by=world.student,
        scheduled_at=NOW,
    )
    screening.attendees.add(world.fellow)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert Recording.objects.count() == 20_015
    for actor in (world.student, world.trainer, world.supervisor, world.fellow, world.privacy):
        read, kinds = _recordings_read(actor, NOW)
        assert "Seq Scan" not in kinds, (actor.username, kinds)
        # Her own few (or, for the privacy officer, one page): not the 20,015 there are.
        assert read <= 202, (actor.username, read, kinds)
    # And the rule still admits what it did.
    assert recordings_visible(actor=world.trainer, now=NOW).count() == 10
    assert recordings_visible(actor=world.supervisor, now=NOW).count() == 15
    assert list(recordings_visible(actor=world.fellow, now=NOW)) == [mine[0]]


# --- the web list pages too ------------------------------------------------------------


def web_pages(client, *, start="/recordings/"):
    """Every page of the web list: (the recording ids of each page in order, pages' HTML)."""
    ids, html, url = [], [], start
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        html.append(page)
        ids.append([str(r["recording"].pk) for r in response.context["rows"]])
        after = response.context["next_cursor"]
        url = f"/recordings/?cursor={after}" if after else None
    return ids, html


def test_the_web_list_of_the_privacy_officer_is_paged_newest_first(world, frozen, client):
    made = bulk(world.student, 130)
    client.force_login(world.privacy)
    ids, html = web_pages(client)
    assert [len(page) for page in ids] == [100, 30]
    assert [pk for page in ids for pk in page] == [str(r.pk) for r in made]
    assert 'rel="next"' in html[0] and "Volgende pagina" in html[0]
    assert 'rel="next"' not in html[1] and "Eerste pagina" in html[1]


def test_the_web_work_queue_is_paged_in_its_own_order(world, frozen, client):
    """Unassessed first, then what is deleted first, across the page boundary."""
    made = bulk(world.student, 105)
    Share.objects.bulk_create(
        Share(recording=r, user=world.trainer, granted_by=world.student, granted_at=NOW)
        for r in made
    )
    # Later expiries for some, an assessment for others: the order is not the list order.
    for i, r in enumerate(made):
        Recording.objects.filter(pk=r.pk).update(expires_at=NOW + timedelta(days=10 + i % 7))
    Assessment.objects.bulk_create(
        Assessment(
            recording=r, trainer=world.trainer, verdict="ok", assessed_on=NOW.date(), created_at=NOW
        )
        for r in made[::3]
    )
    client.force_login(world.trainer)
    ids, _html = web_pages(client)
    assert [len(page) for page in ids] == [100, 5]
    expected = [str(row["recording"].pk) for row in recordings_inbox(actor=world.trainer, now=NOW)]
    assert [pk for page in ids for pk in page] == expected


def test_a_mangled_web_cursor_starts_again_at_the_first_page(world, frozen, client):
    client.force_login(world.student)
    response = client.get("/recordings/?cursor=bm9wZQ")
    assert response.status_code == 302 and response["Location"] == "/recordings/"


def test_the_openapi_document_describes_the_paging(client):
    doc = client.get("/api/v1/openapi.json").json()
    listing = doc["paths"]["/api/v1/recordings"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "cursor"}
    assert {"X-Next-Cursor", "Link"} <= set(listing["responses"]["200"]["headers"])
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
