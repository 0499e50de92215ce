"""``objectio-aio``: the whole cluster on one machine, as separate processes.

Starts the metadata service, N OSDs on file-backed disks under the data directory and the S3
gateway on 127.0.0.1, waits until each signals readiness (ready files, then the gateway's
/health/ready), prints the endpoint and credentials, and stops every child on Ctrl-C or SIGTERM.
Data survives restarts. Root credentials come from OBJECTIO_ACCESS_KEY / OBJECTIO_SECRET_KEY when
set, else are generated once and kept in ``<data-dir>/credentials.json``.

Every daemon serves Prometheus ``/metrics`` (the gateway on its S3 port, the others on ports of
their own); ``<data-dir>/ports.json`` records them under ``"metrics"``. With ``--tls`` the
launcher makes a CA and a certificate under ``<data-dir>/tls`` and turns on HTTPS for S3 and TLS
for every gRPC connection.

:class:`AllInOne` is also what the end-to-end tests use to start, kill and restart daemons.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from objectio.cli.certs import TlsFiles, ensure_cluster_tls
from objectio.common.process import DIE_WITH_PARENT_ENV

DEFAULT_DISK_SIZE_BYTES = 4 << 30
READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    cluster_token: str


def load_or_create_credentials(data_dir: Path) -> Credentials:
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class AllInOne:
    data_dir: Path
    port: int = 9000
    osds: int = 6
    meta_port: int = 0
    osd_ports: list[int] = field(default_factory=list)
    disk_size_bytes: int = DEFAULT_DISK_SIZE_BYTES
    host: str = "127.0.0.1"
    extra_env: dict[str, str] = field(default_factory=dict)
    metrics: bool = True  # every daemon serves /metrics (ports in ports.json)
    tls: bool = False  # HTTPS for S3 and TLS for gRPC, with a CA made under <data-dir>/tls
    osd_hosts: list[str] = field(default_factory=list)  # failure-domain label per OSD (default "localhost")
    daemons: dict[str, Daemon] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.credentials = load_or_create_credentials(self.data_dir)
        ports_file = self.data_dir / "ports.json"
        saved = json.loads(ports_file.read_text()) if ports_file.exists() else {}
        self.meta_port = self.meta_port or saved.get("meta") or free_port()
        if not self.osd_ports:
            self.osd_ports = saved.get("osds", [])[: self.osds]
            self.osd_ports += [free_port() for _ in range(self.osds - len(self.osd_ports))]
        self.metrics_ports: dict[str, int] = {}
        if self.metrics:
            saved_metrics = saved.get("metrics", {})
            for name in ["meta", *self.osd_names()]:
                self.metrics_ports[name] = saved_metrics.get(name) or free_port()
            self.metrics_ports["gateway"] = self.port  # the gateway serves /metrics on its S3 port
        self.tls_files: TlsFiles | None = (
            ensure_cluster_tls(self.data_dir / "tls", [self.host, "localhost"]) if self.tls else None
        )
        ports = {
            "meta": self.meta_port,
            "osds": self.osd_ports,
            "gateway": self.port,
            "metrics": self.metrics_ports,
            "tls": self.tls,
        }
        ports_file.write_text(json.dumps(ports))
        self._define()

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str:
        """The CA every client must trust ('' without TLS)."""
        return str(self.tls_files.ca_file) if self.tls_files else ""

    def _tls_server_args(self) -> list[str]:
        if self.tls_files is None:
            return []
        return [f"--tls-cert-file={self.tls_files.cert_file}", f"--tls-key-file={self.tls_files.key_file}"]

    def _metrics_args(self, name: str) -> list[str]:
        return [f"--metrics-port={self.metrics_ports[name]}"] if name in self.metrics_ports else []

    @property
    def meta_address(self) -> str:
        return f"{self.host}:{self.meta_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env[DIE_WITH_PARENT_ENV] = "1"
        # Secrets travel in the environment, never on a command line that `ps` shows.
        for section in ("DATAPATH", "META", "OSD"):
            env[f"OBJECTIO_{section}_CLUSTER_TOKEN"] = self.credentials.cluster_token
        env["OBJECTIO_META_ROOT_SECRET_KEY"] = self.credentials.secret_key
        if self.tls_files is not None:
            env["OBJECTIO_DATAPATH_GRPC_TLS_CA_FILE"] = str(self.tls_files.ca_file)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # Two gateway processes: pyeclib holds the GIL while it encodes, so a second event loop
        # keeps serving during one's encode; measured +20 % on 4 KiB and 1 MiB PUTs (benchmarks.md).
        env.setdefault("OBJECTIO_GATEWAY_WORKERS", "2")
        return env

    def _daemon(self, name: str, module: str, args: list[str]) -> Daemon:
        run = self.data_dir / "run"
        ready = run / f"{name}.ready"
        role = "objectio-" + module.split(".")[1]
        script = Path(sys.executable).parent / role  # the console script names the role in the command line
        command = [str(script)] if script.exists() else [sys.executable, "-m", module]
        argv = [*command, *args, "--ready-file", str(ready)]
        return Daemon(name, argv, self._env(), ready, self.data_dir / "logs" / f"{name}.log")

    def _define(self) -> None:
        self.daemons["meta"] = self._daemon(
            "meta",
            "objectio.meta.main",
            [
                "--listen-host", self.host,
                "--listen-port", str(self.meta_port),
                "--data-dir", str(self.data_dir / "meta"),
                f"--root-access-key={self.credentials.access_key}",
                *self._metrics_args("meta"),
                *self._tls_server_args(),
                *([f"--tls-ca-file={self.ca_file}"] if self.tls else []),  # meta calls OSDs (repair)
            ],
        )  # fmt: skip
        for index in range(self.osds):
            self._define_osd(index)
        self.daemons["gateway"] = self._daemon(
            "gateway",
            "objectio.gateway.main",
            [
                "--listen-host", self.host,
                "--listen-port", str(self.port),
                "--meta-address", self.meta_address,
                *self._tls_server_args(),
            ],
        )  # fmt: skip

    def _define_osd(self, index: int) -> None:
        host = self.osd_hosts[index] if index < len(self.osd_hosts) else "localhost"
        self.daemons[f"osd{index}"] = self._daemon(
            f"osd{index}",
            "objectio.osd.main",
            [
                "--disk", str(self.data_dir / "disks" / f"osd{index}.img"),
                "--format-if-new", "true",
                "--disk-size-bytes", str(self.disk_size_bytes),
                "--listen-host", self.host,
                "--listen-port", str(self.osd_ports[index]),
                "--meta-address", self.meta_address,
                "--host", host,
                *self._metrics_args(f"osd{index}"),
                *self._tls_server_args(),
                *([f"--tls-ca-file={self.ca_file}"] if self.tls else []),
            ],
        )  # fmt: skip

    def add_osds(self, count: int, hosts: list[str] | None = None) -> list[str]:
        """Format and start ``count`` more OSDs (new disks, new ports) on the running cluster;
        returns their daemon names. ``hosts`` labels their failure domains."""
        first = self.osds
        self.osd_hosts = [*self.osd_hosts, *(["localhost"] * (first - len(self.osd_hosts)))][:first]
        self.osd_hosts += hosts or ["localhost"] * count
        for index in range(first, first + count):
            self.osd_ports.append(free_port())
            if self.metrics:
                self.metrics_ports[f"osd{index}"] = free_port()
            self.osds += 1
            self._define_osd(index)
        ports_file = self.data_dir / "ports.json"
        saved = json.loads(ports_file.read_text())
        saved.update(osds=self.osd_ports, metrics=self.metrics_ports)
        ports_file.write_text(json.dumps(saved))
        names = [f"osd{i}" for i in range(first, first + count)]
        for name in names:  # one at a time: OSD ids follow disk names
            self.daemons[name].start()
            self.daemons[name].wait_ready()
        return names

    def osd_names(self) -> list[str]:
        return [f"osd{i}" for i in range(self.osds)]

    def start(self) -> None:
        (self.data_dir / "disks").mkdir(parents=True, exist_ok=True)
        self.daemons["meta"].start()
        self.daemons["meta"].wait_ready()
        # Format new disks one at a time so OSD ids follow disk names; later starts are parallel.
        for name in self.osd_names():
            is_new = not (self.data_dir / "disks" / f"{name}.img").exists()
            self.daemons[name].start()
            if is_new:
                self.daemons[name].wait_ready()
        for name in self.osd_names():
            self.daemons[name].wait_ready()
        self.start_gateway()

    def start_gateway(self) -> None:
        self.daemons["gateway"].start()
        self.daemons["gateway"].wait_ready()
        self.wait_http_ready()

    def restart(self, name: str) -> None:
        self.daemons[name].stop()
        self.daemons[name].start()
        self.daemons[name].wait_ready()
        if name == "gateway":
            self.wait_http_ready()

    def wait_http_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        context = ssl.create_default_context(cafile=self.ca_file) if self.tls else None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/health/ready", timeout=2, context=context) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            if not self.daemons["gateway"].alive():
                raise RuntimeError(f"gateway exited:\n{self.daemons['gateway'].tail()}")
            time.sleep(0.1)
        raise RuntimeError(f"gateway not ready after {timeout:.0f} s ({last})")

    def stop(self) -> None:
        order = ["gateway", *self.osd_names(), "meta"]
        for name in order:
            self.daemons[name].signal(signal.SIGTERM)
        for name in order:
            self.daemons[name].stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="objectio-aio", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="./data", help="where disks, metadata and logs live")
    parser.add_argument("--port", type=int, default=9000, help="S3 endpoint port on 127.0.0.1")
    parser.add_argument("--osds", type=int, default=6, help="number of OSDs (file-backed disks)")
    parser.add_argument("--disk-size-bytes", type=int, default=DEFAULT_DISK_SIZE_BYTES, help="size of each disk file")
    parser.add_argument(
        "--tls", action="store_true", help="HTTPS for S3 and TLS for gRPC, with a CA made under <data-dir>/tls"
    )
    parser.add_argument("--no-metrics", action="store_true", help="no /metrics ports for meta and the OSDs")
    args = parser.parse_args(argv)
    cluster = AllInOne(
        Path(args.data_dir),
        port=args.port,
        osds=args.osds,
        disk_size_bytes=args.disk_size_bytes,
        metrics=not args.no_metrics,
        tls=args.tls,
    )
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster.start()
    except (RuntimeError, KeyboardInterrupt) as exc:
        print(f"objectio-aio: {exc}", file=sys.stderr)
        cluster.stop()
        return 1
    creds = cluster.credentials
    print(
        f"ObjectIO is running ({args.osds} OSDs, data in {cluster.data_dir})\n"
        f"  endpoint:    {cluster.endpoint}\n"
        f"  access key:  {creds.access_key}\n"
        f"  secret key:  {creds.secret_key}\n"
        f"  region:      us-east-1\n"
        + (f"  CA file:     {cluster.ca_file} (AWS_CA_BUNDLE, OBJECTIO_GRPC_TLS_CA_FILE)\n" if args.tls else "")
        + f"  metrics:     {json.dumps(cluster.metrics_ports)}\n"
        f"  try:         AWS_ACCESS_KEY_ID={creds.access_key} AWS_SECRET_ACCESS_KEY={creds.secret_key} "
        + (f"AWS_CA_BUNDLE={cluster.ca_file} " if args.tls else "")
        + f"aws --endpoint-url {cluster.endpoint} s3 mb s3://demo\n"
        f"Ctrl-C stops the cluster.",
        flush=True,
    )
    reported: set[str] = set()
    while not stopping:
        for name, daemon in cluster.daemons.items():
            if not daemon.alive() and name not in reported:
                reported.add(name)
                print(f"objectio-aio: {name} exited; see {daemon.log_file}", file=sys.stderr, flush=True)
        time.sleep(0.5)
    print("objectio-aio: stopping", flush=True)
    cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
