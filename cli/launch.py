"""Starting ObjectIO daemons as child processes: credentials, environment, command lines, readiness.

What every launcher shares — the all-in-one (:mod:`objectio.cli.aio`, everything on 127.0.0.1)
and the multi-host test harness (``tests/netns``, one network namespace per host). A launcher
picks addresses and directories; this module turns them into a :class:`Daemon` (argv, environment,
ready file, log file) and waits for it. ``wrap`` prefixes a command, e.g. with
``ip netns exec NS``, which execs the daemon in place so the child is still the daemon itself.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from objectio.common.process import DIE_WITH_PARENT_ENV

READY_TIMEOUT_SECONDS = 60.0
# Ports daemons listen on when none is given: below Linux's default ephemeral range
# (net.ipv4.ip_local_port_range 32768-60999) and above the registered services most hosts run.
LISTEN_PORTS = range(20000, 32768)
PORT_ATTEMPTS_MAX = 1000
_handed_out: set[int] = set()  # ports this process chose already: never hand one out twice


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    cluster_token: str


def load_or_create_credentials(data_dir: Path) -> Credentials:
    """``<data_dir>/credentials.json``, created (mode 0600) on first use; the S3 root keys may come
    from OBJECTIO_ACCESS_KEY / OBJECTIO_SECRET_KEY."""
    path = data_dir / "credentials.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    creds = Credentials(
        access_key=os.environ.get("OBJECTIO_ACCESS_KEY") or stored.get("access_key") or _token(20, upper=True),
        secret_key=os.environ.get("OBJECTIO_SECRET_KEY") or stored.get("secret_key") or _token(40),
        cluster_token=stored.get("cluster_token") or secrets.token_hex(24),
    )
    if not stored or stored != creds.__dict__:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(creds.__dict__, handle)
        tmp.replace(path)
    return creds


def _token(length: int, upper: bool = False) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" if upper else None
    if alphabet:
        return "".join(secrets.choice(alphabet) for _ in range(length))
    return secrets.token_urlsafe(length)[:length]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on, from below the kernel's ephemeral range (see ``free_ports``)."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports that can be bound on ``host`` now, chosen at random from
    ``LISTEN_PORTS``. Not from the ephemeral range: a port the kernel handed out for ``bind(0)``
    is also one it hands to outgoing connections, so a daemon started (or restarted) on it later
    can find it taken by some client socket."""
    if len(_handed_out) > len(LISTEN_PORTS) // 2:
        _handed_out.clear()
    chosen: list[int] = []
    for _ in range(PORT_ATTEMPTS_MAX):
        port = secrets.choice(LISTEN_PORTS)
        if port not in _handed_out and _bindable(host, port):
            _handed_out.add(port)
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"no {count} free ports on {host} in {LISTEN_PORTS} after {PORT_ATTEMPTS_MAX} tries")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class Daemon:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_file: Path
    log_file: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.ready_file.parent.mkdir(parents=True, exist_ok=True)
        self.ready_file.unlink(missing_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if not self.alive():
                raise RuntimeError(f"{self.name} exited before it was ready; see {self.log_file}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_file}:\n{self.tail()}")
            time.sleep(0.05)

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.alive():
            self.process.kill()
            self.process.wait()

    def reap(self) -> None:
        """Collect the exit status of a process something else killed (no signal sent)."""
        if self.process is not None:
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def daemon_env(credentials: Credentials, extra_env: dict[str, str], ca_file: str = "") -> dict[str, str]:
    """The environment of every daemon: ours plus ``extra_env``, the cluster secrets, die-with-parent."""
    env = dict(os.environ)
    env.update(extra_env)
    env[DIE_WITH_PARENT_ENV] = "1"
    # Secrets travel in the environment, never on a command line that `ps` shows.
    for section in ("DATAPATH", "META", "OSD"):
        env[f"OBJECTIO_{section}_CLUSTER_TOKEN"] = credentials.cluster_token
    env["OBJECTIO_META_ROOT_SECRET_KEY"] = credentials.secret_key
    if ca_file:
        env["OBJECTIO_DATAPATH_GRPC_TLS_CA_FILE"] = ca_file
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def daemon_command(module: str) -> list[str]:
    """``objectio-meta`` etc. from this interpreter's venv (names the role in ``ps``), else ``-m``."""
    role = "objectio-" + module.split(".")[1]
    script = Path(sys.executable).parent / role
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


def make_daemon(
    name: str,
    module: str,
    args: Sequence[str],
    env: dict[str, str],
    state_dir: Path,
    wrap: Sequence[str] = (),
) -> Daemon:
    """A daemon whose ready file is ``<state_dir>/run/<name>.ready`` and log ``<state_dir>/logs/<name>.log``."""
    ready = state_dir / "run" / f"{name}.ready"
    argv = [*wrap, *daemon_command(module), *args, "--ready-file", str(ready)]
    return Daemon(name, argv, env, ready, state_dir / "logs" / f"{name}.log")


def meta_args(listen_host: str, port: int, data_dir: Path, root_access_key: str) -> list[str]:
    return [
        "--listen-host", listen_host,
        "--listen-port", str(port),
        "--data-dir", str(data_dir),
        f"--root-access-key={root_access_key}",
    ]  # fmt: skip


def osd_args(
    disk: Path, disk_size_bytes: int, listen_host: str, port: int, meta_address: str, failure_domain: str
) -> list[str]:
    """A file-backed OSD, formatted on first start; ``failure_domain`` is its ``--host``."""
    return [
        "--disk", str(disk),
        "--format-if-new", "true",
        "--disk-size-bytes", str(disk_size_bytes),
        "--listen-host", listen_host,
        "--listen-port", str(port),
        "--meta-address", meta_address,
        "--host", failure_domain,
    ]  # fmt: skip


def gateway_args(listen_host: str, port: int, meta_address: str) -> list[str]:
    return ["--listen-host", listen_host, "--listen-port", str(port), "--meta-address", meta_address]


def wait_http_ready(
    endpoint: str,
    alive: Callable[[], bool],
    describe_exit: Callable[[], str],
    timeout: float = READY_TIMEOUT_SECONDS,
    ca_file: str = "",
) -> None:
    """Poll ``<endpoint>/health/ready`` until 200; fail early when ``alive()`` turns false."""
    deadline = time.monotonic() + timeout
    last = ""
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/health/ready", timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        if not alive():
            raise RuntimeError(f"gateway exited:\n{describe_exit()}")
        time.sleep(0.1)
    raise RuntimeError(f"gateway not ready after {timeout:.0f} s ({last})")
