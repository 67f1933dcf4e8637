"""The ``classvault`` console script: each subcommand parses its arguments and calls a service."""

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import tempfile
from pathlib import Path


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "classvault.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 2) -> int:
    print(f"classvault: {message}", file=sys.stderr)
    return code


def cmd_init(args: argparse.Namespace) -> int:
    from classvault import settings as raw_settings
    from classvault.core.home import home_prepare

    created = home_prepare(
        home=raw_settings.CLASSVAULT_HOME,
        secret_key_file=raw_settings.CLASSVAULT_SECRET_KEY_FILE,
        master_key_file=raw_settings.CLASSVAULT_MASTER_KEY_FILE,
        audit_key_file=raw_settings.CLASSVAULT_AUDIT_KEY_FILE,
        create_secret_key=not os.environ.get("CLASSVAULT_SECRET_KEY"),
    )
    if created:
        # Settings were read before the key file existed: read them again.
        import importlib

        importlib.reload(raw_settings)
    _setup_django()
    from django.core.management import call_command

    from classvault.audit.services import audit_checkpoint, audit_key_adopt
    from classvault.core import clock
    from classvault.people import services

    call_command("migrate", interactive=False, verbosity=0)
    services.institute_ensure(name=raw_settings.CLASSVAULT_INSTITUTE_NAME)
    services.guidelines_ensure_default(now=clock.now())
    # A log written before the audit key existed is keyed from here on, and pinned outside.
    audit_key_adopt(now=clock.now())
    audit_checkpoint(now=clock.now())
    for item in created:
        print(f"created {item}")
    print(f"ClassVault data home ready: {raw_settings.CLASSVAULT_HOME}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    _setup_django()
    from django.utils import translation

    from classvault.core import clock
    from classvault.core.exceptions import DomainError
    from classvault.people.services import user_create

    try:
        # The command line speaks English, as its other output does.
        with translation.override("en"):
            user = user_create(
                actor=None,
                username=args.username,
                password=args.password,
                role=args.role,
                full_name=args.full_name or "",
                email=args.email or "",
                school_code=args.school,
                now=clock.now(),
            )
    except DomainError as exc:
        return _fail(exc.detail, 1)
    print(f"created user {user.username} ({user.role})")
    return 0


def _user_command(service_name: str, **kwargs) -> int:
    """Run one account service of people.accounts as the command line (actor None)."""
    _setup_django()
    from django.utils import translation

    from classvault.core import clock
    from classvault.core.exceptions import DomainError
    from classvault.people import accounts

    try:
        with translation.override("en"):
            getattr(accounts, service_name)(actor=None, now=clock.now(), **kwargs)
    except DomainError as exc:
        return _fail(exc.detail, 1)
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    code = _user_command("password_set", username=args.username, password=args.password)
    if code == 0:
        print(f"password of {args.username} set; every session and API token of theirs ended")
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.core.checks import ERROR, run_checks

    from classvault.server import address_problem, serve

    errors = [
        m
        for m in run_checks(include_deployment_checks=True, tags=["classvault"])
        if m.level >= ERROR
    ]
    errors += [m for m in run_checks() if m.level >= ERROR]
    if errors:
        return _fail("refusing to serve:\n" + "\n".join(str(e) for e in errors), 1)
    problem = address_problem(args.host, args.port)
    if problem:
        return _fail(problem, 1)
    with_worker = settings.CLASSVAULT_EMBEDDED and not args.no_worker
    return serve(host=args.host, port=args.port, workers=args.workers, with_worker=with_worker)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    from classvault.core import clock
    from classvault.core.worker import Every, Heartbeat, JobWorker
    from classvault.recordings.jobs import RESUME_EVERY, recordings_resume
    from classvault.redaction.jobs import redactions_resume
    from classvault.retention.jobs import RetentionScheduler, retention_tick

    if args.batch:
        # Drain-and-exit (cron style): one retention run unless this slot had one already.
        if args.retention_every:
            retention_tick(now=clock.now(), every=args.retention_every)
        call_command(
            "db_worker",
            queue_name="*",
            interval=args.interval,
            reload=False,
            batch=True,
            startup_delay=False,
        )
        return 0
    worker = JobWorker(interval=args.interval)
    heartbeat = Heartbeat(worker)
    scheduler = None
    if args.retention_every:
        scheduler = RetentionScheduler(every=args.retention_every)
        scheduler.start()
    # Transcodes a killed worker left behind are queued again within a minute, not at the
    # next retention slot: the job resumes about LEASE + 1 minute after the worker died.
    resume = Every(RESUME_EVERY, recordings_resume, name="classvault-resume")
    # Likewise redactions whose worker died: the interrupted pass starts again.
    resume_redactions = Every(RESUME_EVERY, redactions_resume, name="classvault-redactions")
    heartbeat.start()
    resume.start()
    resume_redactions.start()
    try:
        worker.configure_signals()  # SIGTERM: finish the running job, then stop
        worker.run()
    finally:
        heartbeat.stop()
        resume.stop()
        resume_redactions.stop()
        if scheduler is not None:
            scheduler.stop()
    return 0


def _instant(value: str):
    """An ISO-8601 instant for --now; a date alone is 00:00 and no offset means Amsterdam."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 instant, e.g. 2027-05-02T10:00:00+02:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


def _seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds (0 or more)")
    return seconds


def cmd_sweep(args: argparse.Namespace) -> int:
    _setup_django()
    from classvault.core import clock
    from classvault.retention.services import retention_sweep

    # One line per deleted id, printed as each deletion commits: nothing else on stdout.
    retention_sweep(now=args.now or clock.now(), on_deleted=lambda rid: print(rid, flush=True))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from classvault.core import clock
    from classvault.demo import demo_load

    logins = demo_load(now=clock.now())
    print(f"ClassVault demo data is loaded. Log in at http://{args.host}:{args.port} with:")
    for username, role, password, key in logins:
        factor = f"  second factor (TOTP key): {key}" if key else ""
        print(f"  {username:<14} {role:<18} password: {password}{factor}")
    print(
        "Privacy officers, institute admins and trainers also type a code from an "
        "authenticator app: add their TOTP key to one (or run `oathtool --totp -b KEY`)."
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django()
    if args.export:
        return _audit_verify_export(args.export)
    from classvault.audit.checkpoints import CheckpointError, checkpoint_path
    from classvault.audit.keys import AuditKeyError
    from classvault.audit.selectors import audit_verify
    from classvault.audit.services import audit_checkpoint
    from classvault.core import clock

    try:
        checked, broken, checkpoints = audit_verify()
    except (AuditKeyError, CheckpointError) as exc:
        print(f"audit log CANNOT BE VERIFIED: {exc}")
        return 1
    if broken is not None:
        print(f"audit log BROKEN at {broken} ({checked} entries before it are intact)")
        return 1
    print(f"audit log intact: {checked} entries, {checkpoints} checkpoints agree")
    if checked and not checkpoints:
        print(
            f"warning: {checkpoint_path()} holds no checkpoint yet, so a cut-off end of the "
            "log could not be noticed; one is written now",
            file=sys.stderr,
        )
    try:
        audit_checkpoint(now=clock.now())
    except OSError as exc:
        print(f"warning: no checkpoint written: {exc}", file=sys.stderr)
    return 0


def _audit_verify_export(path: str) -> int:
    """Check an exported selection of the log (audit/export.py): exit 0 when sound."""
    from classvault.audit.export import audit_export_verify
    from classvault.audit.keys import AuditKeyError

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"audit export CANNOT BE VERIFIED: {path} is not readable JSON ({exc})")
        return 1
    try:
        check = audit_export_verify(document)
    except AuditKeyError as exc:
        print(f"audit export CANNOT BE VERIFIED: {exc}")
        return 1
    if not check.ok:
        print(f"audit export BROKEN: {'; '.join(check.problems)}")
        return 1
    print(
        f"audit export intact: {check.count} entries, signature valid, "
        f"{check.in_log} found unchanged in the log"
    )
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    _setup_django()
    from classvault.core import clock
    from classvault.vault.exceptions import VaultKeyError
    from classvault.vault.services import master_key_rotate

    try:
        rotated = master_key_rotate(now=clock.now())
    except VaultKeyError as exc:
        return _fail(f"{exc} Restore the retired key file and run again.", 1)
    print(
        f"re-wrapped {rotated.data_keys} data keys and {rotated.retention_keys} retention "
        "keys under the current master key"
    )
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["classvault manage", *args.rest])
    return 0


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _mute_range(text: str) -> tuple[float, float]:
    try:
        start, end = (_finite(part) for part in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not START-END in seconds") from None
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"{text!r}: START must be before END")
    return start, end


def _mark(text: str):
    from classvault.redaction.engine import Mark

    try:
        at, box = text.split(":", 1)
        x, y, w, h = (_finite(v) for v in box.split(","))
        return Mark(at_seconds=_finite(at), box=(x, y, w, h))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SECONDS:X,Y,W,H") from None


def _redaction_problem(args: argparse.Namespace, width: int, height: int, duration) -> str:
    """Why the marks and ranges cannot take effect on this video ('' when they can): the
    rules of the API's order (``redaction.services``), from the same module."""
    from classvault.redaction.engine import limits

    for mark in args.marks:
        where = f"--mark {mark.at_seconds:g}:{','.join(f'{v:g}' for v in mark.box)}"
        if not limits.time_inside(mark.at_seconds, duration):
            return f"{where}: the time lies outside the video{_length(duration)}"
        if not limits.box_big_enough(mark.box):
            return f"{where}: a box must be at least {limits.MIN_BOX} pixels wide and high"
        if not limits.box_inside(mark.box, width, height):
            return f"{where}: the box must lie inside the frame of {width} x {height} pixels"
    limit = limits.mute_limit(duration, math.inf)
    for start, end in args.mute:
        if not limits.range_inside(start, end, limit):
            return f"--mute {start:g}-{end:g}: the range ends after the video{_length(duration)}"
    return ""


def _length(duration) -> str:
    return f" of {duration:.2f} s" if duration else ""


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def cmd_redact(args: argparse.Namespace) -> int:
    """Anonymise a plain video file: no Django, no vault (the vault's job uses the same
    engine on decrypted streams).

    The result is written to a temporary file beside OUTPUT and renamed onto it only when
    the whole redaction succeeded: a failed, interrupted (Ctrl-C) or terminated run leaves
    no partial file and an existing OUTPUT as it was."""
    from classvault.redaction.engine import RedactionError, probe

    faces = "none" if args.marks and args.faces is None else (args.faces or "all")
    if faces == "none" and not args.marks and not args.mute:
        return _fail("nothing to redact: --faces none needs --mark or --mute")
    if os.path.abspath(args.input) == os.path.abspath(args.output) or (
        os.path.exists(args.input)
        and os.path.exists(args.output)
        and os.path.samefile(args.input, args.output)
    ):
        return _fail("OUTPUT must not be INPUT (nor a link to it)")
    previous = signal.signal(signal.SIGTERM, _terminate)
    temporary = None
    try:
        with open(args.input, "rb") as src:
            width, height, duration = probe(src)
            problem = _redaction_problem(args, width, height, duration)
            if problem:
                return _fail(problem)
            directory = os.path.dirname(os.path.abspath(args.output))
            suffix = os.path.splitext(args.output)[1]
            fd, temporary = tempfile.mkstemp(prefix=".classvault-", suffix=suffix, dir=directory)
            with os.fdopen(fd, "wb") as dst:
                analysis = _redact_with_bar(src, dst, faces, args)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as open() would have made it
            os.replace(temporary, args.output)
            temporary = None
    except KeyboardInterrupt:
        return _fail(f"interrupted: {args.output} not written", 130)
    except SystemExit:
        _fail(f"terminated: {args.output} not written")
        raise
    except OSError as exc:
        return _fail(str(exc), 1)
    except RedactionError as exc:
        return _fail(f"{args.input}: {exc}", 1)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    print(
        f"wrote {args.output}: {analysis.frames} frames, "
        f"{len(analysis.tracklets)} face tracks blurred, {len(args.mute)} ranges muted"
    )
    return 0


def _redact_with_bar(src, dst, faces: str, args: argparse.Namespace):
    from tqdm import tqdm

    from classvault.redaction.engine import Progress, redact

    bar = tqdm(total=100, unit="%", desc="redacting", file=sys.stderr, disable=args.quiet)

    def show(progress: Progress) -> None:
        bar.n = round(progress.fraction * 100, 1)
        bar.set_postfix_str(f"{progress.frames_per_second:.1f} frames/s", refresh=False)
        bar.refresh()

    try:
        return redact(src, dst, faces=faces, marks=args.marks, mute=args.mute, progress=show)
    finally:
        bar.close()


def _default_port() -> int:
    """CLASSVAULT_PORT, else 8000: `serve` and `demo` agree on the address without flags."""
    value = os.environ.get("CLASSVAULT_PORT", "").strip()
    return int(value) if value.isdigit() else 8000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="classvault", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create or migrate the data home").set_defaults(func=cmd_init)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_cmd", required=True
    )
    add = user.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True)
    add.add_argument("--password", required=True)
    add.add_argument("--full-name")
    add.add_argument("--email")
    add.add_argument("--school")
    add.set_defaults(func=cmd_user_add)
    password = user.add_parser(
        "password", help="set a user's password (ends every session and API token of theirs)"
    )
    password.add_argument("username")
    password.add_argument("--password", required=True)
    password.set_defaults(func=cmd_user_password)

    serve = sub.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=_default_port(), help="default: CLASSVAULT_PORT, else 8000"
    )
    serve.add_argument(
        "--workers", type=int, default=int(os.environ.get("CLASSVAULT_WEB_WORKERS", "2"))
    )
    serve.add_argument("--no-worker", action="store_true", help="do not run background jobs")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run background jobs")
    worker.add_argument("--batch", action="store_true", help="drain the queue, then exit")
    worker.add_argument("--interval", type=float, default=1.0)
    worker.add_argument(
        "--retention-every",
        type=_seconds,
        metavar="SECONDS",
        default=os.environ.get("CLASSVAULT_RETENTION_EVERY", "900"),
        help="run the retention schedule (sweep, reminders) every SECONDS; 0: not here",
    )
    worker.set_defaults(func=cmd_worker)

    sweep = sub.add_parser(
        "sweep",
        help="apply retention now: delete every expired recording not under hold",
        description="Delete every recording whose retention is over, except those under "
        "legal hold; print one line per deleted recording id.",
    )
    sweep.add_argument(
        "--now",
        type=_instant,
        metavar="ISO-8601",
        help="apply retention as if the clock read this instant",
    )
    sweep.set_defaults(func=cmd_sweep)

    demo = sub.add_parser("demo", help="load demo data and print the logins")
    # Only for the address it prints: where `classvault serve` runs (or will run).
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "--port", type=int, default=_default_port(), help="default: CLASSVAULT_PORT, else 8000"
    )
    demo.set_defaults(func=cmd_demo)

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(
        dest="audit_cmd", required=True
    )
    verify = audit.add_parser("verify", help="check the hash chain (or an exported selection)")
    verify.add_argument(
        "--export",
        metavar="FILE",
        help="check a signed export of the log (from the privacy officer's audit page or "
        "GET /api/v1/audit/export) instead of the log itself",
    )
    verify.set_defaults(func=cmd_audit_verify)

    key = sub.add_parser("key", help="the vault's master key").add_subparsers(
        dest="key_cmd", required=True
    )
    rotate = key.add_parser(
        "rotate",
        help="re-wrap every data key under the current master key",
        description="Rename master.key to master.key.retired, run `classvault init` to make a "
        "new one, then run this; delete the retired file once it reports success.",
    )
    rotate.set_defaults(func=cmd_key_rotate)

    redact = sub.add_parser(
        "redact",
        help="anonymise a plain video file (blur faces, silence ranges)",
        description="Blur every face (or only the persons marked with --mark) and silence "
        "the --mute ranges; writes H.264/AAC MP4 and keeps the rest of the sound.",
    )
    redact.add_argument("input")
    redact.add_argument("output")
    redact.add_argument("--faces", choices=["all", "none"], default=None)
    redact.add_argument(
        "--mute", action="append", type=_mute_range, default=[], metavar="START-END"
    )
    redact.add_argument(
        "--mark",
        dest="marks",
        action="append",
        type=_mark,
        default=[],
        metavar="SECONDS:X,Y,W,H",
        help="follow and blur only this person (implies --faces none unless given)",
    )
    redact.add_argument("--quiet", action="store_true", help="no progress bar")
    redact.set_defaults(func=cmd_redact)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
