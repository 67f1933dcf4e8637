"""The `classvault` console script, run as a real process against its own data home."""

import hashlib
import json
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from support.liveserver import clean_env, demo_home

pytestmark = pytest.mark.cli


def run(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = clean_env(home, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "classvault.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("cli") / "data"
    result = run(home, "init")
    assert result.returncode == 0, result.stderr
    return home


def test_init_creates_home_and_private_keys(home):
    assert (home / "classvault.sqlite3").exists()
    for name in ("master.key", "secret.key", "audit.key"):
        mode = stat.S_IMODE((home / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_init_is_idempotent_and_keeps_keys(home):
    names = ("master.key", "secret.key", "audit.key")
    before = [(home / name).read_bytes() for name in names]
    result = run(home, "init")
    assert result.returncode == 0, result.stderr
    assert "created" not in result.stdout
    assert [(home / name).read_bytes() for name in names] == before


def test_user_add_creates_a_user_who_can_log_in(home):
    result = run(
        home,
        "user",
        "add",
        "bootstrap",
        "--role",
        "institute_admin",
        "--password",
        "a-long-bootstrap-pw",
        "--full-name",
        "Boot Strap",
        "--email",
        "boot@example.org",
    )
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(home / "classvault.sqlite3")
    role, password = db.execute(
        "select role, password from people_user where username='bootstrap'"
    ).fetchone()
    assert role == "institute_admin"
    assert password.startswith("argon2$") and "a-long-bootstrap-pw" not in password


@pytest.mark.parametrize(
    "args,message",
    [
        # The command line speaks English, like its help and the rest of its output.
        (["dup", "--role", "trainer"], "taken"),
        (["x1", "--role", "wizard"], "Unknown role"),
        (["x2", "--role", "school_admin"], "needs a school"),
        (["x3", "--role", "trainer", "--school", "NOPE"], "Unknown school"),
    ],
)
def test_user_add_refuses_bad_input_with_a_clear_error(home, args, message):
    run(home, "user", "add", "dup", "--role", "trainer", "--password", "a-long-password-1")
    result = run(home, "user", "add", *args, "--password", "a-long-password-2")
    assert result.returncode == 1
    assert message in result.stderr


def test_demo_prints_logins_and_can_run_twice(home):
    first = run(home, "demo")
    assert first.returncode == 0, first.stderr
    assert "sanne" in first.stdout and "student_teacher" in first.stdout
    second = run(home, "demo")
    assert second.returncode == 0, second.stderr


def test_audit_verify_passes_on_an_intact_log(home):
    result = run(home, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout and "checkpoints agree" in result.stdout


def test_worker_batch_drains_and_exits(home):
    result = run(home, "worker", "--batch")
    assert result.returncode == 0, result.stderr


def test_serve_refuses_without_a_secret_key(tmp_path):
    result = run(
        tmp_path / "nohome",
        "serve",
        "--port",
        "8999",
        env={"CLASSVAULT_SECRET_KEY_FILE": str(tmp_path / "missing.key")},
    )
    assert result.returncode == 1
    assert "classvault.E001" in result.stderr


def _tamper(home: Path, sql: str) -> None:
    db = sqlite3.connect(home / "classvault.sqlite3")
    db.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
    db.executescript(sql)
    db.commit()
    db.close()


@pytest.fixture
def fresh_home(tmp_path) -> Path:
    home = tmp_path / "data"
    demo_home(home)  # init + demo, copied from this process's first run of them
    return home


@pytest.mark.parametrize(
    "sql,entry",
    [
        ("update audit_auditevent set actor='mallory' where seq=4", "entry 4"),
        ("delete from audit_auditevent where seq=3", "entry 3"),
        (
            "update audit_auditevent set seq=-1 where seq=2; update audit_auditevent set seq=2 "
            "where seq=5; update audit_auditevent set seq=5 where seq=-1;",
            "entry 2",
        ),
    ],
)
def test_audit_verify_names_the_first_broken_entry(fresh_home, sql, entry):
    _tamper(fresh_home, sql)
    result = run(fresh_home, "audit", "verify")
    assert result.returncode == 1
    assert entry in result.stdout


def _rehash_all(home: Path, hasher, *, actor_of: dict | None = None) -> None:
    """The attack of someone with the database alone: rewrite (some actors of) the log,
    recompute every hash with the documented canonical form, and move the head."""
    db = sqlite3.connect(home / "classvault.sqlite3")
    db.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
    rows = db.execute(
        "select id, seq, at, actor, action, object_type, object_id, purpose, "
        "data from audit_auditevent order by seq"
    ).fetchall()
    prev = "0" * 64
    for pk, seq, at, actor, action, object_type, object_id, purpose, data in rows:
        actor = (actor_of or {}).get(seq, actor)
        moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
        body = {
            "seq": seq,
            "at": moment.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "purpose": purpose,
            "data": json.loads(data),
            "prev_hash": prev,
        }
        digest = hasher(
            json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
        db.execute(
            "update audit_auditevent set actor=?, prev_hash=?, hash=? where id=?",
            (actor, prev, digest, pk),
        )
        prev = digest
    db.execute("update audit_audithead set last_seq=?, last_hash=?", (rows[-1][1], prev))
    db.commit()
    db.close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_audit_verify_finds_a_log_rewritten_without_the_key(fresh_home):
    _rehash_all(fresh_home, _sha256, actor_of={3: "mallory"})
    result = run(fresh_home, "audit", "verify")
    assert result.returncode == 1
    assert "BROKEN at entry 1: differs from the checkpoint" in result.stdout


def test_audit_verify_finds_a_cut_off_end_with_the_head_moved_back(fresh_home):
    assert run(fresh_home, "audit", "verify").returncode == 0  # pins the head
    db = sqlite3.connect(fresh_home / "classvault.sqlite3")
    (last,) = db.execute("select max(seq) from audit_auditevent").fetchone()
    db.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
    db.execute("delete from audit_auditevent where seq > ?", (last - 2,))
    db.execute(
        "update audit_audithead set last_seq=?, last_hash=(select hash from "
        "audit_auditevent where seq=?)",
        (last - 2, last - 2),
    )
    db.commit()
    db.close()
    result = run(fresh_home, "audit", "verify")
    assert result.returncode == 1
    assert f"BROKEN at entry {last - 1}: is missing" in result.stdout


def test_audit_verify_fails_without_the_audit_key(fresh_home):
    (fresh_home / "audit.key").unlink()
    result = run(fresh_home, "audit", "verify")
    assert result.returncode == 1
    assert "CANNOT BE VERIFIED" in result.stdout and "audit.key does not exist" in result.stdout


def test_init_keys_a_log_written_before_the_audit_key(fresh_home):
    # The state an older version left: plain SHA-256 everywhere, no key, no checkpoints.
    _rehash_all(fresh_home, _sha256)
    db = sqlite3.connect(fresh_home / "classvault.sqlite3")
    db.execute("update audit_audithead set keyed_from=0")
    db.commit()
    (fresh_home / "audit.key").unlink()
    (fresh_home / "audit-checkpoints").unlink()
    (old_count,) = db.execute("select count(*) from audit_auditevent").fetchone()
    result = run(fresh_home, "init")
    assert result.returncode == 0, result.stderr
    assert "audit.key" in result.stdout
    assert db.execute(
        "select seq, action from audit_auditevent where seq > ?", (old_count,)
    ).fetchall() == [(old_count + 1, "audit.keyed")]
    result = run(fresh_home, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"intact: {old_count + 1} entries, 1 checkpoints agree" in result.stdout


def test_key_rotate_rewraps_under_a_new_master_key(fresh_home):
    from classvault.vault.keys import kek_id_for

    # Give the vault one data key to rotate, through the real service in a subprocess.
    store = (
        "from classvault.core import clock; from classvault.vault.services import "
        "vault_store; vault_store(object_id='r1', purpose='original', chunks=[b'x'*10],"
        " now=clock.now())"
    )
    code = f"import django; django.setup(); {store}"
    environment = clean_env(fresh_home, DJANGO_SETTINGS_MODULE="classvault.settings")
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)
    master = fresh_home / "master.key"
    master.rename(fresh_home / "master.key.retired")
    assert run(fresh_home, "init").returncode == 0
    result = run(fresh_home, "key", "rotate")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(fresh_home / "classvault.sqlite3")
    live = db.execute("select count(*) from vault_datakey where wrapped is not null").fetchone()
    assert live[0] >= 4  # the demo recording's three objects and ours
    # Ours is wrapped by the master key itself; the demo recording's keys sit under retention
    # keys (docs/retention.md), whose files are what the rotation re-wraps for them.
    assert "re-wrapped 1 data keys and " in result.stdout
    new_id = kek_id_for(bytes.fromhex(master.read_text().strip()))
    assert db.execute(
        "select distinct kek_id from vault_datakey where wrapped is not null and retention_key = ''"
    ).fetchall() == [(new_id,)]
    # Without the retired key the rotation is done; a second run has nothing to do, and every
    # live data key still unwraps.
    (fresh_home / "master.key.retired").unlink()
    assert "re-wrapped 0 data keys and 0 retention keys" in run(fresh_home, "key", "rotate").stdout
    unwrap_all = (
        "from classvault.vault.models import DataKey; from classvault.vault.services "
        "import data_key_unwrap; [data_key_unwrap(data_key=k) for k in "
        "DataKey.objects.filter(destroyed_at__isnull=True)]"
    )
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {unwrap_all}"],
        env=environment,
        check=True,
        timeout=60,
    )


def test_serve_refuses_a_storage_it_cannot_reach(home):
    result = run(
        home,
        "serve",
        "--port",
        "8998",
        env={
            "CLASSVAULT_STORAGE_URL": "s3://classvault/blobs?endpoint_url=http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "key",
            "AWS_SECRET_ACCESS_KEY": "secret",
        },
    )
    assert result.returncode == 1
    assert "classvault.E005" in result.stderr and "does not answer" in result.stderr


def test_user_password_sets_the_password_and_revokes_every_token(home):
    added = run(home, "user", "add", "pwuser", "--role", "trainer", "--password", "first-long-pw-1")
    assert added.returncode == 0, added.stderr
    db = sqlite3.connect(home / "classvault.sqlite3")
    user_id, before = db.execute(
        "select id, password from people_user where username='pwuser'"
    ).fetchone()
    with db:  # a token in force, as one made through the API would be
        db.execute(
            "insert into people_apitoken (user_id, key_hash, created_at, expires_at) "
            "values (?, ?, '2026-01-01 00:00:00', '2999-01-01 00:00:00')",
            (user_id, "0" * 64),
        )

    result = run(home, "user", "password", "pwuser", "--password", "second-long-pw-2")

    assert result.returncode == 0, result.stderr
    assert "pwuser" in result.stdout
    after = db.execute("select password from people_user where username='pwuser'").fetchone()[0]
    assert after != before and after.startswith("argon2$")
    (revoked,) = db.execute("select revoked_at from people_apitoken where user_id=?", (user_id,))
    assert revoked[0] is not None
    refused = run(home, "user", "password", "nobody", "--password", "second-long-pw-2")
    assert refused.returncode == 1 and "No such user" in refused.stderr
    short = run(home, "user", "password", "pwuser", "--password", "x")
    assert short.returncode == 1 and "short" in short.stderr
