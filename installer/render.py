"""Text of the files the installer writes: TOML configs and systemd units. Pure functions.

Layout under ``<root>``:

* ``etc/objectio/meta.toml``, ``gateway.toml``, ``osd-<disk>.toml`` (one per OSD: disk, port,
  address; ``objectio-osd@<disk>.service`` reads its own) — mode 0640, they hold the token;
* ``etc/objectio/gateway.env`` — the data-path section is read from the environment only in
  this version, so the gateway's cluster token travels as OBJECTIO_DATAPATH_CLUSTER_TOKEN;
* ``etc/objectio/cli.env`` — OBJECTIO_META and OBJECTIO_CLUSTER_TOKEN for ``objectio-cli``;
* ``etc/systemd/system/objectio-{meta,gateway}.service`` and ``objectio-osd@.service``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CONFIG_DIR = "/etc/objectio"
DATA_DIR = "/var/lib/objectio"
SERVICE_USER = "objectio"
META_PORT = 9100
GATEWAY_PORT = 9000
OSD_PORT_FIRST = 9200
LIMIT_NOFILE = 65536


@dataclass(frozen=True)
class NodeSettings:
    meta_address: str  # host:port OSDs and the gateway use
    address: str  # how other nodes reach this one (OSD advertise host)
    cluster_token: str
    bin_dir: str  # where the objectio-* console scripts are


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def toml(sections: Mapping[str, Mapping[str, object]], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name, values in sections.items():
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def meta_config(s: NodeSettings, root_access_key: str, root_secret_key: str) -> str:
    port = int(s.meta_address.rpartition(":")[2])
    section = {
        "listen_host": "0.0.0.0",
        "listen_port": port,
        "data_dir": f"{DATA_DIR}/meta",
        "cluster_token": s.cluster_token,
        "root_access_key": root_access_key,
        "root_secret_key": root_secret_key,
    }
    return toml({"meta": section}, "objectio-meta (written by objectio-install; every option: sample-config.toml)")


def gateway_config(s: NodeSettings) -> str:
    section = {"listen_host": "0.0.0.0", "listen_port": GATEWAY_PORT, "meta_address": s.meta_address}
    return toml({"gateway": section}, "objectio-gateway (written by objectio-install)")


def gateway_env(s: NodeSettings) -> str:
    return f"OBJECTIO_DATAPATH_CLUSTER_TOKEN={s.cluster_token}\n"


def cli_env(s: NodeSettings) -> str:
    return f"OBJECTIO_META={s.meta_address}\nOBJECTIO_CLUSTER_TOKEN={s.cluster_token}\n"


def osd_config(s: NodeSettings, disk_path: str, port: int, host: str) -> str:
    section = {
        "disk": disk_path,
        "listen_host": "0.0.0.0",
        "listen_port": port,
        "advertise_address": f"{s.address}:{port}",
        "host": host,
        "meta_address": s.meta_address,
        "cluster_token": s.cluster_token,
        "format_if_new": True,
    }
    header = (
        f"objectio-osd@ for {disk_path} (written by objectio-install)\n"
        "format_if_new: the installer leaves blank disks blank; the OSD registers with meta on its\n"
        "first start, gets its id and writes the superblock (see docs/operations.md)."
    )
    return toml({"osd": section}, header)


_HARDENING = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
LockPersonality=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=
UMask=0027
"""


def _service(description: str, unit_extra: str, exec_start: str, service_extra: str) -> str:
    return f"""\
# Written by objectio-install; local changes belong in a drop-in (systemctl edit).
[Unit]
Description={description}
Wants=network-online.target
After=network-online.target
{unit_extra}
[Service]
Type=simple
User={SERVICE_USER}
Group={SERVICE_USER}
ExecStart={exec_start}
Restart=on-failure
RestartSec=2s
TimeoutStopSec=30s
KillSignal=SIGTERM
LimitNOFILE={LIMIT_NOFILE}
{service_extra}{_HARDENING}
[Install]
WantedBy=multi-user.target
"""


def meta_unit(s: NodeSettings) -> str:
    return _service(
        "ObjectIO metadata service",
        "",
        f"{s.bin_dir}/objectio-meta --config {CONFIG_DIR}/meta.toml",
        f"PrivateDevices=yes\nReadWritePaths={DATA_DIR}/meta\n",
    )


def gateway_unit(s: NodeSettings) -> str:
    return _service(
        "ObjectIO S3 gateway",
        "Wants=objectio-meta.service\nAfter=objectio-meta.service\n",
        f"{s.bin_dir}/objectio-gateway --config {CONFIG_DIR}/gateway.toml",
        f"PrivateDevices=yes\nEnvironmentFile={CONFIG_DIR}/gateway.env\n",
    )


def osd_unit(s: NodeSettings) -> str:
    # %i is the disk's kernel name (objectio-osd@sdb): the unit follows the device's lifetime and
    # may open that one device only.
    return _service(
        "ObjectIO OSD on /dev/%i",
        "BindsTo=dev-%i.device\nAfter=dev-%i.device objectio-meta.service\n",
        f"{s.bin_dir}/objectio-osd --config {CONFIG_DIR}/osd-%i.toml",
        "SupplementaryGroups=disk\nDevicePolicy=closed\nDeviceAllow=/dev/%i rw\n",
    )
