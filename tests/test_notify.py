"""Notifications (issue 11): a recording shared with you, new feedback, a screening
invitation, a recording about to expire unassessed. In ClassVault, and by e-mail where mail
is configured; the e-mail and the stored row name no pupil and no recording content."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from classvault.core.exceptions import Invalid
from classvault.core.time import AMSTERDAM
from classvault.people import notifications
from classvault.people.models import Notification, NotificationKind
from classvault.people.notifications import (
    notification_send,
    notifications_mark_read,
    notifications_unread_count,
)
from classvault.retention.services import reminders_send
from classvault.sharing.feedback import comment_add
from classvault.sharing.screenings import screening_schedule
from classvault.sharing.services import share_grant, share_revoke
from classvault.web.context_processors import notifications as header_count
from support.audit import assert_audited
from support.personas import NOW
from support.personas import web_login as web_login_with_factor
from support.recordings import make_recording

START = NOW + timedelta(days=2)  # 4 November 2026, 10:00; the frozen clock is a day before


def web_login(username: str) -> Client:
    return web_login_with_factor(username)


def notified(kind: str | None = None) -> list[tuple[str, str]]:
    rows = Notification.objects.all() if kind is None else Notification.objects.filter(kind=kind)
    return sorted((n.recipient.username, n.kind) for n in rows.select_related("recipient"))


@pytest.fixture
def lesson(world, pupils, vault_home, frozen):
    """Sanne's ready lesson with Ada (full consent) present; shared with nobody yet."""
    world.pupils = pupils
    return make_recording(
        world.student, recorded_at=NOW, title="Breuken met pizza", pupils=[world.pupils.ada]
    )


# --- each trigger notifies exactly the right people -----------------------------------------


def test_sharing_notifies_the_trainer_once_and_not_the_owner(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)  # idempotent
    assert notified() == [("tom", "shared")]
    note = Notification.objects.get()
    assert note.recording_id == str(lesson.pk) and note.created_at == NOW
    assert note.data == {"actor": "Sanne Student"}  # no title, no pupil
    assert_audited("recording.share", actor="sanne", object_id=lesson.pk, **{"with": "tom"})


def test_a_supervisor_sharing_notifies_the_trainer(world, lesson):
    share_grant(actor=world.supervisor, recording=lesson, username="tara", now=NOW)
    assert notified() == [("tara", "shared")]
    assert Notification.objects.get().data["actor"] == "Mira Mentor"


def test_a_refused_share_leaves_no_notification(world, lesson):
    with pytest.raises(Invalid):
        share_grant(actor=world.student, recording=lesson, username="uri", now=NOW)
    with pytest.raises(RuntimeError), transaction.atomic():
        share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
        raise RuntimeError("the caller's transaction rolls back")
    assert notified() == []


def test_a_screening_invites_each_attendee(world, lesson):
    screening_schedule(
        actor=world.student,
        recording=lesson,
        mode="online",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        attendees=["femke"],
        now=NOW,
    )
    assert notified() == [("femke", "screening")]
    assert Notification.objects.get().data == {
        "actor": "Sanne Student",
        "starts_at": START.isoformat(),
    }
    assert_audited("screening.schedule", actor="sanne", object_id=lesson.pk)


def test_others_comments_notify_the_owner(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    comment_add(actor=world.trainer, recording=lesson, at_seconds=0, text="Mooi begin", now=NOW)
    comment_add(actor=world.supervisor, recording=lesson, at_seconds=0, text="Eens", now=NOW)
    assert notified("feedback") == [("sanne", "feedback"), ("sanne", "feedback")]
    assert "Mooi begin" not in str(Notification.objects.values_list("data", flat=True))
    assert_audited("comment.add", actor="tom", object_id=lesson.pk)


def test_the_owners_comment_notifies_the_trainers_it_is_shared_with(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    comment_add(
        actor=world.student, recording=lesson, at_seconds=0, text="Hier twijfelde ik", now=NOW
    )
    # Tom (shared), not Tara (her trainer, not shared), not Mira, not Sanne herself.
    assert notified("feedback") == [("tom", "feedback")]


def at(day: int, month: int = 4, hour: int = 8) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=AMSTERDAM)


def test_the_expiry_reminder_also_notifies_in_classvault_without_a_second_mail(recording):
    assert reminders_send(now=at(2, hour=0)) == 1
    assert notified() == [("sanne", "expiring"), ("tara", "expiring"), ("tom", "expiring")]
    assert {n.data["days"] for n in Notification.objects.all()} == {30}
    assert len(mail.outbox) == 3  # the reminders themselves, nothing more
    assert reminders_send(now=at(2, hour=20)) == 0
    assert Notification.objects.count() == 3


def test_nothing_for_the_actor_herself(world):
    assert (
        notification_send(
            recipient=world.student,
            kind=NotificationKind.SHARED,
            recording_id="x",
            actor=world.student,
            now=NOW,
        )
        is None
    )
    assert not Notification.objects.exists()


# --- the e-mail ----------------------------------------------------------------------------


def test_the_mail_goes_after_the_commit_and_names_nothing(
    world, lesson, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["tom@example.org"]
    assert message.subject == "ClassVault: er is iets voor u"
    assert "een opname gedeeld met u" in message.body
    for secret in ("Breuken", "pizza", "Ada", "Sanne", str(lesson.pk)):
        assert secret not in message.subject + message.body


def test_no_mail_without_an_address_or_without_mail_configured(
    world, lesson, settings, monkeypatch, django_capture_on_commit_callbacks
):
    mailed = []
    monkeypatch.setattr(notifications, "_mail", lambda address, kind: mailed.append(address))
    world.trainer.email = ""
    world.trainer.save()
    with django_capture_on_commit_callbacks(execute=True):
        share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        share_grant(actor=world.student, recording=lesson, username="tara", now=NOW)
    assert mailed == []
    assert notified() == [("tara", "shared"), ("tom", "shared")]  # in ClassVault all the same


# --- mark read, count ----------------------------------------------------------------------


def test_mark_read_touches_only_the_actors_own(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    share_grant(actor=world.student, recording=lesson, username="tara", now=NOW)
    later = NOW + timedelta(hours=1)
    assert notifications_mark_read(actor=world.trainer, now=later) == 1
    assert notifications_unread_count(world.trainer) == 0
    assert notifications_unread_count(world.second_trainer) == 1
    assert Notification.objects.get(recipient=world.trainer).read_at == later
    tara_note = Notification.objects.get(recipient=world.second_trainer)
    assert notifications_mark_read(actor=world.trainer, ids=[tara_note.pk], now=later) == 0
    assert notifications_mark_read(actor=world.second_trainer, ids=[tara_note.pk], now=later) == 1


def test_the_header_count_is_one_query_and_none_for_anonymous(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    request = RequestFactory().get("/")
    request.user = world.trainer
    with CaptureQueriesContext(connection) as queries:
        assert header_count(request) == {"notifications_unread": 1}
    assert len(queries) == 1
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as queries:
        assert header_count(request) == {}
    assert len(queries) == 0


# --- the page ------------------------------------------------------------------------------


def test_the_page_lists_only_your_own_in_dutch_with_a_link(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    tom = web_login("tom")
    html = tom.get("/notifications/").content.decode()
    assert "Meldingen (1)" in html
    assert "Sanne Student deelde een opname met u: Breuken met pizza" in html
    assert f'href="/recordings/{lesson.pk}/"' in html
    assert "Nieuw" in html and "Alles als gelezen markeren" in html
    sanne = web_login("sanne").get("/notifications/").content.decode()
    assert "Meldingen (0)" in sanne and "deelde een opname" not in sanne
    assert "Nog geen meldingen" in sanne


def test_mark_all_read_from_the_page(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    share_grant(actor=world.student, recording=lesson, username="tara", now=NOW)
    tom = web_login("tom")
    assert tom.get("/notifications/read/").status_code == 405
    response = tom.post("/notifications/read/", follow=True)
    html = response.content.decode()
    assert "Alle meldingen zijn als gelezen gemarkeerd." in html
    assert "Meldingen (0)" in html and "Alles als gelezen markeren" not in html
    assert notifications_unread_count(world.second_trainer) == 1


def test_a_recording_no_longer_visible_shows_no_title_and_no_link(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    share_revoke(actor=world.student, recording=lesson, username="tom", now=NOW)
    html = web_login("tom").get("/notifications/").content.decode()
    assert "Sanne Student deelde een opname met u; die is niet meer beschikbaar." in html
    assert "Breuken" not in html and f"/recordings/{lesson.pk}/" not in html


def test_screening_and_expiry_texts(world, lesson):
    screening_schedule(
        actor=world.student,
        recording=lesson,
        mode="online",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        attendees=["femke"],
        now=NOW,
    )
    html = web_login("femke").get("/notifications/").content.decode()
    # Before the screening Femke may not see the recording: no title yet.
    assert "U bent uitgenodigd voor een vertoning van een opname op 4 november 2026 10:00." in html
    assert "Breuken" not in html
    notification_send(
        recipient=world.student,
        kind=NotificationKind.EXPIRING,
        recording_id=lesson.pk,
        actor=None,
        now=NOW,
        data={"days": 7},
    )
    notification_send(
        recipient=world.student,
        kind=NotificationKind.EXPIRING,
        recording_id=lesson.pk,
        actor=None,
        now=NOW,
        data={"days": 1},
    )
    html = web_login("sanne").get("/notifications/").content.decode()
    assert "Breuken met pizza verloopt over 7 dagen en is nog niet beoordeeld" in html
    assert "Breuken met pizza verloopt over 1 dag en is nog niet beoordeeld" in html


def test_feedback_text(world, lesson):
    share_grant(actor=world.student, recording=lesson, username="tom", now=NOW)
    comment_add(actor=world.trainer, recording=lesson, at_seconds=0, text="Mooi", now=NOW)
    html = web_login("sanne").get("/notifications/").content.decode()
    assert "Nieuwe feedback op Breuken met pizza van Tom Trainer" in html


def test_twenty_a_page_newest_first(world):
    for i in range(23):
        notification_send(
            recipient=world.trainer,
            kind=NotificationKind.SHARED,
            recording_id=f"r{i}",
            actor=world.student,
            now=NOW + timedelta(minutes=i),
        )
    client = web_login("tom")
    first = client.get("/notifications/").content.decode()
    assert first.count('class="notify-item') == 20 and "Pagina 1 van 2" in first
    assert "Meldingen (23)" in first
    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('class="notify-item') == 3
    assert client.get("/notifications/?page=zzz").status_code == 200
