"""``classvault serve``: gunicorn for the web app, plus the task worker in the embedded default."""

import atexit
import os
import signal
import subprocess
import sys

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from classvault.wsgi import application

        return application


def _start_worker() -> subprocess.Popen:
    """The background worker as a child of this server: it starts and stops with it."""
    proc = subprocess.Popen([sys.executable, "-m", "classvault.cli", "worker"])

    def stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    atexit.register(stop)
    return proc


def serve(*, host: str, port: int, workers: int, with_worker: bool) -> int:
    if with_worker:
        _start_worker()
    print(f"ClassVault serves on http://{host}:{port}" + (" with a background worker"
                                                        if with_worker else ""), flush=True)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": max(1, workers),
            "worker_class": "gthread",
            "threads": int(os.environ.get("CLASSVAULT_WEB_THREADS", "8")),
            "timeout": 120,
            "graceful_timeout": 20,
            "accesslog": "-",
            # Query strings may carry ids; never tokens (they travel in headers).
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": os.environ.get("CLASSVAULT_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        }
    ).run()
    return 0
