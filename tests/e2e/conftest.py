"""End-to-end fixtures: a real all-in-one cluster (meta, OSD and gateway processes talking real
gRPC and HTTP) in a temporary directory, and S3 clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from objectio.cli.aio import AllInOne, free_port

DISK_SIZE_BYTES = 1 << 30  # sparse files: only what is written takes space


def start_cluster(data_dir: Path, osds: int = 6, **options: Any) -> AllInOne:
    """``options`` go to :class:`AllInOne` (``extra_env``, ``tls``, ``metrics``)."""
    cluster = AllInOne(data_dir, port=free_port(), osds=osds, disk_size_bytes=DISK_SIZE_BYTES, **options)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def s3_client(cluster: AllInOne, secret: str | None = None, access: str | None = None) -> object:
    return boto3.client(
        "s3",
        endpoint_url=cluster.endpoint,
        verify=cluster.ca_file or None,
        aws_access_key_id=access or cluster.credentials.access_key,
        aws_secret_access_key=secret or cluster.credentials.secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
    )


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    """One shared cluster for tests that do not break it."""
    running = start_cluster(tmp_path_factory.mktemp("aio"))
    yield running
    running.stop()


@pytest.fixture()
def fresh_cluster(tmp_path: Path) -> Iterator[AllInOne]:
    """A cluster of its own, for tests that kill daemons."""
    running = start_cluster(tmp_path / "aio")
    yield running
    running.stop()


@pytest.fixture()
def s3(cluster: AllInOne) -> Iterator[Any]:
    client: Any = s3_client(cluster)
    yield client
    client.close()  # its sockets, not the garbage collector's (which may run during a later test)
