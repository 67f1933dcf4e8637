"""The bearer token's fixed lookup (people/token_lookup.py): the same objects the ORM made,
in one query, with the user and school loaded."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from classvault.people.models import ApiToken, User
from classvault.people.services import token_authenticate, token_issue, token_revoke
from support.personas import NOW


def test_the_token_comes_with_its_user_and_school_in_one_query(world):
    raw = token_issue(user=world.supervisor, now=NOW).raw
    with CaptureQueriesContext(connection) as queries:
        token = token_authenticate(raw=raw, now=NOW)
        user = token.user
        school = user.school
    assert len(queries) == 1
    stored = ApiToken.objects.select_related("user", "user__school").get(pk=token.pk)
    for got, want in ((token, stored), (user, stored.user), (school, stored.user.school)):
        assert type(got) is type(want)
        for field in type(want)._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert not got._state.adding
    assert isinstance(user, User) and user.pk == world.supervisor.pk
    assert school.code == "NOORD"
    assert token.expires_at.tzinfo is not None  # SQLite's text read back as an aware datetime


def test_a_user_without_a_school(world):
    assert world.privacy.school_id is None
    token = token_authenticate(raw=token_issue(user=world.privacy, now=NOW).raw, now=NOW)
    assert token.user.pk == world.privacy.pk
    with CaptureQueriesContext(connection) as queries:
        assert token.user.school is None
    assert len(queries) == 0


def test_unknown_expired_revoked_and_inactive_tokens_are_refused(world):
    assert token_authenticate(raw="not-a-token", now=NOW) is None
    issued = token_issue(user=world.student, now=NOW)
    later = issued.token.expires_at + timedelta(seconds=1)
    assert token_authenticate(raw=issued.raw, now=later) is None
    assert token_authenticate(raw=issued.raw, now=NOW) is not None
    token_revoke(token=issued.token, now=NOW)
    assert token_authenticate(raw=issued.raw, now=NOW) is None
    other = token_issue(user=world.fellow, now=NOW)
    User.objects.filter(pk=world.fellow.pk).update(is_active=False)
    assert token_authenticate(raw=other.raw, now=NOW) is None
