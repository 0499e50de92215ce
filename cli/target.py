"""Which cluster the CLI talks to, and with which credentials.

The metadata service address comes from ``--meta HOST:PORT``, else ``OBJECTIO_META``, else the
all-in-one data directory (``--data-dir``, default ``./data``: its ``ports.json``). Flag and variable
may list several instances, ``HOST:PORT,HOST:PORT,...`` (meta on etcd), tried in that order (see
:mod:`objectio.cli.failover`); an all-in-one with several meta instances lists them all. Secrets are
never taken from flags (they would show in ``ps``): the cluster token comes from
``OBJECTIO_CLUSTER_TOKEN``, the S3 keys from ``OBJECTIO_ACCESS_KEY`` / ``OBJECTIO_SECRET_KEY``,
each falling back to the data directory's ``credentials.json``. A metadata service speaking TLS is
verified against ``OBJECTIO_GRPC_TLS_CA_FILE``, else the all-in-one's ``tls/ca.pem`` when it has one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from objectio.cli.errors import EXIT_USAGE, CliError

DEFAULT_DATA_DIR = "./data"
AIO_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Target:
    meta_addresses: tuple[str, ...]  # in the order to try them
    cluster_token: str
    access_key: str
    secret_key: str
    endpoint: str  # "" when unknown
    source: str  # where the address came from, for error messages
    grpc_tls_ca_file: str = ""  # "" = plaintext gRPC
    s3_ca_file: str = ""  # CA of an all-in-one's HTTPS endpoint ("" = the system's, or AWS_CA_BUNDLE)

    @property
    def meta_address(self) -> str:
        """Every instance, comma-separated, as given."""
        return ",".join(self.meta_addresses)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected a JSON object", EXIT_USAGE)
    return data


def check_address(address: str, what: str) -> str:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CliError(f"{what} {address!r} is not HOST:PORT", EXIT_USAGE)
    return address


def split_addresses(text: str, what: str) -> tuple[str, ...]:
    """``HOST:PORT[,HOST:PORT...]`` as a tuple (order kept, repeats dropped); CliError(exit 2) if malformed."""
    addresses = tuple(dict.fromkeys(check_address(a.strip(), what) for a in text.split(",") if a.strip()))
    if not addresses:
        raise CliError(f"{what} {text!r} names no HOST:PORT", EXIT_USAGE)
    return addresses


def resolve(*, meta: str | None, data_dir: str | None, endpoint: str | None, env: Mapping[str, str]) -> Target:
    """Find the cluster (see module docstring); raises CliError(exit 2) when nothing names one."""
    directory = Path(data_dir or env.get("OBJECTIO_DATA_DIR") or DEFAULT_DATA_DIR)
    ports = _read_json(directory / "ports.json")
    creds = _read_json(directory / "credentials.json")
    given = meta or env.get("OBJECTIO_META") or ""
    if given:
        source = "--meta" if meta else "OBJECTIO_META"
        addresses = split_addresses(given, source)
    elif isinstance(ports.get("meta"), int):
        metas = ports.get("metas")
        listed = [p for p in metas if isinstance(p, int)] if isinstance(metas, list) else []
        addresses = tuple(f"{AIO_HOST}:{port}" for port in dict.fromkeys([ports["meta"], *listed]))
        source = str(directory / "ports.json")
    else:
        raise CliError(
            f"no cluster given: use --meta HOST:PORT or OBJECTIO_META, or --data-dir of an all-in-one "
            f"cluster ({directory / 'ports.json'} not found)",
            EXIT_USAGE,
        )
    gateway = endpoint or env.get("OBJECTIO_ENDPOINT") or ""
    aio_ca = directory / "tls" / "ca.pem"
    aio_tls = ports.get("tls") is True and aio_ca.exists()
    s3_ca_file = ""
    if not gateway and isinstance(ports.get("gateway"), int):
        gateway = f"{'https' if aio_tls else 'http'}://{AIO_HOST}:{ports['gateway']}"
        s3_ca_file = str(aio_ca) if aio_tls else ""
    ca_file = env.get("OBJECTIO_GRPC_TLS_CA_FILE") or (str(aio_ca) if aio_tls else "")
    return Target(
        meta_addresses=addresses,
        cluster_token=env.get("OBJECTIO_CLUSTER_TOKEN") or str(creds.get("cluster_token", "")),
        access_key=env.get("OBJECTIO_ACCESS_KEY") or str(creds.get("access_key", "")),
        secret_key=env.get("OBJECTIO_SECRET_KEY") or str(creds.get("secret_key", "")),
        endpoint=gateway,
        source=source,
        grpc_tls_ca_file=ca_file,
        s3_ca_file=s3_ca_file,
    )
