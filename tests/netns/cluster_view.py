"""What the multi-host tests read back from a running :class:`MultiHostCluster`: S3 clients,
object records and the cluster map (through meta, as the CLI would), and placement checks."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

from objectio.protos import meta_pb2
from tests.e2e.repair_cluster import records, run
from tests.netns.harness import MultiHostCluster

__all__ = ["osd_ids_of_host", "osd_map", "placement_problems", "records", "s3_client"]


def s3_client(cluster: MultiHostCluster, pool: str = "") -> Any:
    """A boto3 client of the cluster's gateway; ``pool`` adds x-objectio-pool to CreateBucket."""
    client = boto3.client(
        "s3",
        endpoint_url=cluster.endpoint,
        aws_access_key_id=cluster.credentials.access_key,
        aws_secret_access_key=cluster.credentials.secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
    )
    if pool:

        def add_pool(request: Any, **_: Any) -> None:
            request.headers["x-objectio-pool"] = pool

        client.meta.events.register("before-sign.s3.CreateBucket", add_pool)
    return client


def osd_map(cluster: MultiHostCluster) -> dict[int, meta_pb2.Osd]:
    cmap: meta_pb2.ClusterMap = run(cluster, lambda meta: meta.get_cluster_map())
    return {osd.id: osd for osd in cmap.osds}


def osd_ids_of_host(cluster: MultiHostCluster, host: str) -> set[int]:
    """The OSD ids registered from ``host``'s daemons (matched by address)."""
    addresses = {cluster.osd_address(name) for name in cluster.daemons_of(host)}
    return {osd_id for osd_id, osd in osd_map(cluster).items() if osd.address in addresses}


def placement_problems(
    recs: dict[str, meta_pb2.ObjectRecord], host_of: dict[int, str], dead: set[int], hosts_alive: int
) -> list[str]:
    """Stripes that break the failure-domain rule: a fragment missing or on a dead OSD, two
    fragments on one OSD, or more than ceil(fragments / hosts) fragments on one host."""
    problems = []
    for key, record in recs.items():
        for index, stripe in enumerate(record.stripes):
            ids = list(stripe.osd_ids)
            where = f"{key}#{index} {ids}"
            if any(osd_id == 0 or osd_id in dead for osd_id in ids):
                problems.append(f"{where}: fragment missing or on a dead OSD")
                continue
            if len(set(ids)) != len(ids):
                problems.append(f"{where}: two fragments on one OSD")
            per_host = Counter(host_of[osd_id] for osd_id in ids)
            allowed = math.ceil(len(ids) / hosts_alive)
            if max(per_host.values()) > allowed:
                problems.append(f"{where}: {dict(per_host)} exceeds {allowed} fragments per host")
    return problems
