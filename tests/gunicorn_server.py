"""A real gunicorn (2 sync workers) serving the app on a SQLite file, for the crash tests: its socket is made
here on port 0 and handed over by file descriptor, so no fixed port is ever used."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


class Gunicorn:
    """Start, watch and kill the workers of a gunicorn serving create_app() with ENV added."""

    def __init__(self, tmp_path, database_url, workers=2, access_log=False, **env):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.log_path = tmp_path / "gunicorn.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115  (closed in stop)
        full_env = dict(os.environ, APP_CONFIG="development", DATABASE_URL=database_url,
                        SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"), INSTANCE_PATH=str(tmp_path / "instance"),
                        INGEST_DIR=str(tmp_path / "ingest"), PYTHONPATH=str(ROOT), **env)
        full_env.pop("TEST_DATABASE_URL", None)
        fd = self.sock.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"fd://{fd}",
             "--timeout", "30", "--graceful-timeout", "2", *(["--access-logfile", "-"] if access_log else []),
             "app:create_app()"],
            cwd=ROOT, env=full_env, pass_fds=(fd,), stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path="/api/v1/regions", timeout=60):
        """Wait until the app answers PATH."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + path, timeout=5).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up:\n" + self.output())

    def worker_pids(self):
        """Return the pids of the live workers (children of the master)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill_workers(self):
        """SIGKILL every worker (the master starts new ones); return how many were killed."""
        pids = self.worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return len(pids)

    def kill_one_worker(self):
        """SIGKILL one worker; return 1 (0 if none was running)."""
        pids = self.worker_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
        return min(len(pids), 1)

    def output(self):
        """Return everything gunicorn and the app logged so far (also after stop)."""
        return self.log_path.read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.sock.close()
        self.log.close()
