"""Serves the dashboard from several Streamlit processes behind nginx, on one host.

    .venv/bin/python -m deploy.serve --apps 2 --port 8500      # runs until Ctrl-C or `stop`
    .venv/bin/python -m deploy.serve stop                       # stops a run started elsewhere

In: a built warehouse (``DSR_WAREHOUSE``, else data/warehouse; serving builds
nothing, and a build that switches the warehouse is picked up by the running
processes on their next rerun) and the template ``deploy/nginx.conf``.
Out: a run directory (``--run-dir``, default data/run/) with the rendered
``nginx.conf``, ``pids.json``, nginx's logs (``logs/access.log`` names the
app process of every request) and one log per app process
(``logs/app-<port>.log``).

Everything listens on 127.0.0.1 only; put a TLS-terminating proxy or load
balancer in front for the outside world (README, "Serving many users"). nginx
runs as a foreground process with its own prefix, pid, temp and log paths
under the run directory: no root configuration is read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("nginx.conf")
DEFAULT_RUN_DIR = ROOT / "data" / "run"
APP_SCRIPT = "dashboard/app.py"
HEALTH = "/_stcore/health"
NGINX_TEMP = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 15


# One line of logs/access.log (log_format dsr in deploy/nginx.conf). $upstream_addr
# lists every app tried, comma-separated, when nginx retried a request elsewhere.
ACCESS_LINE = re.compile(
    r'^\S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ '
    r"upstream=(?P<upstream>.+?) sticky=(?P<sticky>\S+) rt=(?P<seconds>\S+)$"
)


class DeployError(RuntimeError):
    pass


def read_access_log(path: Path) -> list[dict]:
    """The requests nginx logged: time, method, path, status, upstream (the app
    process, or several when nginx retried), sticky (the browser's cookie).
    A line being written while the log is read is left for the next read."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        # nginx is writing the last line right now: read up to the last whole line.
        text = text[: text.rfind("\n") + 1]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = ACCESS_LINE.match(line)
        if not match:
            raise DeployError(f"{path}, line {number}: not in the format of deploy/nginx.conf: {line!r}")
        rows.append(match.groupdict())
    return rows


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if not found:
        raise DeployError("nginx not found: run scripts/setup.sh (installs Debian's nginx) or apt-get install nginx")
    return found


def render_config(run_dir: Path, port: int, app_ports: list[int]) -> Path:
    """Writes ``run_dir/nginx.conf`` from the template for a proxy on
    127.0.0.1:``port`` in front of the apps on 127.0.0.1:``app_ports``."""
    run_dir = run_dir.resolve()
    for sub in ("logs", *(f"tmp/{t}" for t in NGINX_TEMP)):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in app_ports)
    # nginx started by root hands its workers to "nobody", who could not write
    # the run directory; started by anyone else, it keeps its user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@RUN@", run_dir.as_posix())
        .replace("@PORT@", str(port))
        .replace("@SERVERS@", servers)
        .replace("@USER@", user)
    )
    conf = run_dir / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def _nginx_args(conf: Path) -> list[str]:
    run_dir = conf.parent
    # -e: the error log before the configuration is read (Debian's default is /var/log/nginx).
    return [nginx_binary(), "-p", f"{run_dir}/", "-e", str(run_dir / "logs" / "error.log"), "-c", str(conf)]


def check_config(conf: Path) -> str:
    """``nginx -t`` on the rendered file; raises with nginx's own message when it is invalid."""
    done = subprocess.run([*_nginx_args(conf), "-t"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DeployError(f"nginx -t rejected {conf}:\n{done.stderr}")
    return done.stderr


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Deployment:
    """A running proxy and its app processes."""

    run_dir: Path
    port: int
    app_ports: list[int]
    warehouse: Path
    apps: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.run_dir / "logs" / "access.log"

    def app_log(self, port: int) -> Path:
        return self.run_dir / "logs" / f"app-{port}.log"

    def processes(self) -> dict[str, subprocess.Popen]:
        named = {f"app {p}": proc for p, proc in self.apps.items()}
        if self.nginx is not None:
            named["nginx"] = self.nginx
        return named

    def write_pids(self) -> None:
        pids = {"serve": os.getpid(), "nginx": self.nginx.pid if self.nginx else None, "apps": {str(p): proc.pid for p, proc in self.apps.items()}}
        (self.run_dir / "pids.json").write_text(json.dumps(pids, indent=2), encoding="utf-8")

    def stop(self) -> None:
        """nginx first (no new requests; open websockets are closed after
        worker_shutdown_timeout), then every app; each is killed if it does
        not end in time."""
        if self.nginx is not None:
            _end(self.nginx, signal.SIGQUIT)
        for proc in self.apps.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.apps.values():
            _end(proc, None)
        (self.run_dir / "pids.json").unlink(missing_ok=True)


def _end(proc: subprocess.Popen, sig: int | None) -> None:
    if proc.poll() is None and sig is not None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_healthy(url: str, procs: dict[str, subprocess.Popen], logs: str) -> None:
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        if _healthy(url):
            return
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise DeployError(f"{name} exited with {proc.returncode} while starting; see {logs}")
        time.sleep(0.3)
    raise DeployError(f"{url} did not answer within {START_TIMEOUT_S} s; see {logs}")


@contextmanager
def serving(apps: int = 2, port: int = 8500, app_ports: list[int] | None = None, run_dir: Path | None = None, warehouse: Path | None = None, log=print):
    """Starts ``apps`` Streamlit processes and nginx in front of them; stops them all on exit."""
    from etl import paths

    app_ports = list(app_ports or range(port + 1, port + 1 + apps))
    if len(app_ports) != apps or port in app_ports:
        raise DeployError(f"{apps} app processes need {apps} ports other than the proxy's {port}, got {app_ports}")
    warehouse = paths.warehouse_location(Path(warehouse)) if warehouse else paths.warehouse_dir()
    if not paths.manifest_path(warehouse).exists():
        raise DeployError(f"no warehouse in {warehouse}: serving builds nothing; run `python -m etl build` first (or set DSR_WAREHOUSE)")
    run_dir = (run_dir or DEFAULT_RUN_DIR).resolve()
    conf = render_config(run_dir, port, app_ports)
    check_config(conf)
    env = dict(
        os.environ,
        DSR_WAREHOUSE=str(warehouse),
        # One secret for all processes: a cookie or XSRF token one of them
        # issued is valid at the others (after a failover, for an upload).
        STREAMLIT_SERVER_COOKIE_SECRET=os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32),
    )
    deployment = Deployment(run_dir=run_dir, port=port, app_ports=app_ports, warehouse=warehouse)
    try:
        for p in app_ports:
            with open(deployment.app_log(p), "w") as out:
                deployment.apps[p] = subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", APP_SCRIPT, "--server.port", str(p), "--server.address", "127.0.0.1", "--server.headless", "true"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
        for p in app_ports:
            _wait_healthy(f"http://127.0.0.1:{p}{HEALTH}", deployment.processes(), str(deployment.app_log(p)))
        deployment.nginx = subprocess.Popen(_nginx_args(conf), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_healthy(f"{deployment.base}{HEALTH}", deployment.processes(), str(run_dir / "logs" / "error.log"))
        deployment.write_pids()
        log(f"serving {deployment.base} with {apps} app processes on ports {', '.join(map(str, app_ports))}; warehouse {warehouse}; logs in {run_dir / 'logs'}")
        yield deployment
    finally:
        deployment.stop()


def stop_run(run_dir: Path) -> bool:
    """Stops the ``serve`` process recorded in ``run_dir/pids.json`` (it stops its own processes)."""
    pids_file = run_dir / "pids.json"
    if not pids_file.exists():
        return False
    pid = json.loads(pids_file.read_text(encoding="utf-8"))["serve"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pids_file.unlink(missing_ok=True)
        return False
    deadline = time.time() + 2 * STOP_TIMEOUT_S + 5
    while time.time() < deadline and pids_file.exists():
        time.sleep(0.2)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["start", "stop"], default="start")
    parser.add_argument("--apps", type=int, default=2, help="number of Streamlit processes (default 2)")
    parser.add_argument("--port", type=int, default=8500, help="the proxy's port on 127.0.0.1 (default 8500)")
    parser.add_argument("--app-ports", type=lambda s: [int(p) for p in s.split(",")], help="the apps' ports, comma-separated (default: the ports after --port)")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, help=f"config, pids and logs (default {DEFAULT_RUN_DIR.relative_to(ROOT)})")
    parser.add_argument("--warehouse", type=Path, help="the warehouse (default DSR_WAREHOUSE, else data/warehouse)")
    args = parser.parse_args(argv)
    if args.command == "stop":
        stopped = stop_run(args.run_dir.resolve())
        print("stopped" if stopped else f"nothing running in {args.run_dir}")
        return 0

    def end(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, end)
    try:
        with serving(args.apps, args.port, args.app_ports, args.run_dir, args.warehouse, log=lambda m: print(m, flush=True)) as deployment:
            while True:
                for name, proc in deployment.processes().items():
                    if proc.poll() is not None:
                        raise DeployError(f"{name} exited with {proc.returncode}; stopping the rest (logs in {deployment.run_dir / 'logs'})")
                time.sleep(1)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
