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
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from objectio.cli.certs import TlsFiles, ensure_cluster_tls
from objectio.cli.launch import (
    READY_TIMEOUT_SECONDS,
    Credentials,
    Daemon,
    daemon_env,
    free_port,
    gateway_args,
    load_or_create_credentials,
    make_daemon,
    meta_args,
    osd_args,
    wait_http_ready,
)
from objectio.common.config import env_name

__all__ = ["AllInOne", "Credentials", "Daemon", "free_port", "load_or_create_credentials", "main"]

DEFAULT_DISK_SIZE_BYTES = 4 << 30
METRICS_DIR_ENV = env_name("gateway", "metrics_multiprocess_dir")


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
    meta_backend: str = "sqlite"  # or "etcd": then etcd_endpoints, and metas/gateways may be > 1
    etcd_endpoints: list[str] = field(default_factory=list)
    metas: int = 1  # meta instances (more than one needs the etcd backend)
    gateways: int = 1  # gateway processes, each on its own S3 port (port, then free ports)
    osd_hosts: list[str] = field(default_factory=list)  # failure-domain label per OSD (default "localhost")
    daemons: dict[str, Daemon] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.credentials = load_or_create_credentials(self.data_dir)
        ports_file = self.data_dir / "ports.json"
        saved = json.loads(ports_file.read_text()) if ports_file.exists() else {}
        if self.metas > 1 and self.meta_backend != "etcd":
            raise ValueError("several meta instances need the etcd backend")
        self.meta_port = self.meta_port or saved.get("meta") or free_port()
        self.meta_ports = [self.meta_port, *saved.get("metas", [])[1 : self.metas]]
        self.meta_ports += [free_port() for _ in range(self.metas - len(self.meta_ports))]
        self.gateway_ports = [self.port, *saved.get("gateways", [])[1 : self.gateways]]
        self.gateway_ports += [free_port() for _ in range(self.gateways - len(self.gateway_ports))]
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
            "metas": self.meta_ports,
            "gateways": self.gateway_ports,
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
    def endpoints(self) -> list[str]:
        """The S3 endpoint of every gateway process."""
        return [f"{'https' if self.tls else 'http'}://{self.host}:{port}" for port in self.gateway_ports]

    @property
    def meta_names(self) -> list[str]:
        return ["meta", *(f"meta{i}" for i in range(1, self.metas))]

    @property
    def gateway_names(self) -> list[str]:
        return ["gateway", *(f"gateway{i}" for i in range(1, self.gateways))]

    @property
    def meta_addresses(self) -> str:
        """Every meta instance, comma-separated: what OSDs and gateways connect to (failover)."""
        return ",".join(f"{self.host}:{port}" for port in self.meta_ports)

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
        env = daemon_env(self.credentials, self.extra_env, self.ca_file)
        # Two gateway processes: pyeclib holds the GIL while it encodes, so a second event loop
        # keeps serving during one's encode; measured +20 % on 4 KiB and 1 MiB PUTs (benchmarks.md).
        env.setdefault("OBJECTIO_GATEWAY_WORKERS", "2")
        return env

    def _daemon(self, name: str, module: str, args: list[str]) -> Daemon:
        return make_daemon(name, module, args, self._env(), self.data_dir)

    def _define(self) -> None:
        tls_client = [f"--tls-ca-file={self.ca_file}"] if self.tls else []
        backend_args = ["--backend", self.meta_backend]
        if self.meta_backend == "etcd":
            backend_args += ["--etcd-endpoints", ",".join(self.etcd_endpoints)]
        for name, port in zip(self.meta_names, self.meta_ports, strict=True):
            self.daemons[name] = self._daemon(
                name,
                "objectio.meta.main",
                [
                    *meta_args(self.host, port, self.data_dir / name, self.credentials.access_key),
                    *backend_args,
                    f"--instance-name={name}",
                    *self._metrics_args(name),
                    *self._tls_server_args(),
                    *tls_client,  # meta calls OSDs (repair)
                ],
            )
        for index in range(self.osds):
            self._define_osd(index)
        for name, port in zip(self.gateway_names, self.gateway_ports, strict=True):
            self.daemons[name] = self._daemon(
                name,
                "objectio.gateway.main",
                [
                    *gateway_args(self.host, port, self.meta_addresses),
                    *self._gateway_metrics_args(name),
                    *self._tls_server_args(),
                ],
            )

    def _gateway_metrics_args(self, name: str) -> list[str]:
        """The workers' shared metrics directory inside the data dir (one per gateway process), so
        a gateway killed with SIGKILL leaves nothing behind in /tmp; unless the environment names one."""
        if METRICS_DIR_ENV in self._env():
            return []
        return [f"--metrics-multiprocess-dir={self.data_dir / name / 'metrics'}"]

    def _define_osd(self, index: int) -> None:
        disk = self.data_dir / "disks" / f"osd{index}.img"
        host = self.osd_hosts[index] if index < len(self.osd_hosts) else "localhost"
        self.daemons[f"osd{index}"] = self._daemon(
            f"osd{index}",
            "objectio.osd.main",
            [
                *osd_args(disk, self.disk_size_bytes, self.host, self.osd_ports[index], self.meta_addresses, host),
                *self._metrics_args(f"osd{index}"),
                *self._tls_server_args(),
                *([f"--tls-ca-file={self.ca_file}"] if self.tls else []),
            ],
        )

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
        for name in self.meta_names:
            self.daemons[name].start()
        for name in self.meta_names:
            self.daemons[name].wait_ready()
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
        for name in self.gateway_names:
            self.daemons[name].start()
        for name in self.gateway_names:
            self.daemons[name].wait_ready()
        self.wait_http_ready()

    def restart(self, name: str) -> None:
        self.daemons[name].stop()
        self.daemons[name].start()
        self.daemons[name].wait_ready()
        if name == "gateway":
            self.wait_http_ready()

    def wait_http_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        gateway = self.daemons["gateway"]
        wait_http_ready(self.endpoint, gateway.alive, gateway.tail, timeout, self.ca_file)

    def stop(self) -> None:
        order = [*self.gateway_names, *self.osd_names(), *self.meta_names]
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
    parser.add_argument("--meta-backend", choices=["sqlite", "etcd"], default="sqlite", help="metadata store")
    parser.add_argument("--etcd-endpoints", default="", help="etcd members host:port,... (--meta-backend etcd)")
    parser.add_argument("--metas", type=int, default=1, help="meta instances (several need --meta-backend etcd)")
    parser.add_argument("--gateways", type=int, default=1, help="gateway processes (S3 ports: --port, then free)")
    args = parser.parse_args(argv)
    if args.meta_backend == "etcd" and not args.etcd_endpoints:
        parser.error("--meta-backend etcd needs --etcd-endpoints")
    cluster = AllInOne(
        Path(args.data_dir),
        port=args.port,
        osds=args.osds,
        disk_size_bytes=args.disk_size_bytes,
        metrics=not args.no_metrics,
        tls=args.tls,
        meta_backend=args.meta_backend,
        etcd_endpoints=[e for e in args.etcd_endpoints.split(",") if e],
        metas=args.metas,
        gateways=args.gateways,
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
        f"  endpoint:    {', '.join(cluster.endpoints)}\n"
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
