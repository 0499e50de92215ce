"""Metrics, health and request ids of a running all-in-one cluster.

One cluster serves the read-only checks: its gateway runs two worker processes (so /metrics must
aggregate them) and meta and the OSDs log at debug level (one line per RPC). A real Prometheus
server scrapes every daemon when the ``prometheus`` binary is installed (Debian package).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from objectio.cli.aio import AllInOne, free_port
from tests.e2e.conftest import s3_client, start_cluster

pytestmark = pytest.mark.e2e

PROMETHEUS = "/usr/bin/prometheus"
WAIT_SECONDS = 30.0
ERASURE_CODED_BYTES = 100 * 1024  # above the 16 KiB inline limit: fragments go to the OSDs


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    base = tmp_path_factory.mktemp("observed")
    env = {
        "OBJECTIO_GATEWAY_WORKERS": "2",
        "OBJECTIO_META_LOG_LEVEL": "debug",
        "OBJECTIO_OSD_LOG_LEVEL": "debug",
    }
    cluster = start_cluster(base / "aio", extra_env=env)
    yield cluster
    cluster.stop()


def wait_for(what: str, check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {seconds:.0f} s still not true: {what}")
        time.sleep(0.2)


def scrape(url: str) -> dict[str, float]:
    """Samples of a /metrics page: 'name{labels}' -> value."""
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def total(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))


def test_ports_file_names_every_metrics_endpoint(observed: AllInOne) -> None:
    ports = json.loads((observed.data_dir / "ports.json").read_text())
    assert set(ports["metrics"]) == {"gateway", "meta", *observed.osd_names()}
    assert ports["metrics"]["gateway"] == observed.port
    osd = scrape(f"http://127.0.0.1:{ports['metrics']['osd0']}/metrics")
    assert osd["objectio_osd_capacity_bytes"] > 0
    assert "objectio_osd_cache_hits_total" in osd
    meta = scrape(f"http://127.0.0.1:{ports['metrics']['meta']}/metrics")
    assert meta["objectio_meta_osds_up"] == observed.osds
    assert meta["objectio_meta_cluster_health"] == 0


def test_gateway_metrics_add_up_all_workers(observed: AllInOne) -> None:
    url = f"{observed.endpoint}/metrics"
    before = total(scrape(url), "objectio_s3_requests_total")
    requests = 40
    for _ in range(requests):  # a new connection each time: either worker may take it
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{observed.endpoint}/", timeout=5)  # anonymous: 403
    after = total(scrape(url), "objectio_s3_requests_total")
    assert after - before == requests, "one scrape must count the requests of every worker"
    directory = observed.data_dir / "gateway" / "metrics"  # the all-in-one's, inside its data dir
    pids = {path.stem.rsplit("_", 1)[-1] for path in directory.glob("*.db")}
    assert len(pids) == 2, f"expected the files of 2 workers in {directory}: {sorted(os.listdir(directory))}"


def test_grpc_health_of_meta_and_osds(observed: AllInOne) -> None:
    for name, port in [("meta", observed.meta_port), ("osd0", observed.osd_ports[0])]:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name


def test_request_id_reaches_every_service_log(observed: AllInOne) -> None:
    s3 = s3_client(observed)
    s3.create_bucket(Bucket="traced")  # type: ignore[attr-defined]
    reply = s3.put_object(Bucket="traced", Key="big", Body=os.urandom(ERASURE_CODED_BYTES))  # type: ignore[attr-defined]
    request_id = reply["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    logs = observed.data_dir / "logs"

    def services_with_id() -> set[str]:
        found = set()
        for path in logs.glob("*.log"):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{") and json.loads(line).get("request_id") == request_id:
                    found.add(path.stem)
                    break
        return found

    wait_for(
        f"request id {request_id} in gateway.log, meta.log and an osdN.log", lambda: _all_services(services_with_id())
    )


def _all_services(found: set[str]) -> bool:
    return {"gateway", "meta"} <= found and any(name.startswith("osd") for name in found)


def test_prometheus_scrapes_every_daemon(observed: AllInOne, tmp_path: Path) -> None:
    if not shutil.which(PROMETHEUS):
        print(f"SKIP reason: {PROMETHEUS} missing (Debian package 'prometheus', listed in .ci/apt-packages.txt)")
        pytest.skip(f"{PROMETHEUS} missing: apt-get install prometheus")
    ports = observed.metrics_ports
    targets = [f"127.0.0.1:{port}" for port in ports.values()]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: objectio\n    static_configs:\n"
        f"      - targets: {json.dumps(targets)}\n"
    )
    web_port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    server = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{web_port}",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        s3 = s3_client(observed)
        s3.create_bucket(Bucket="scraped")  # type: ignore[attr-defined]
        s3.put_object(Bucket="scraped", Key="k", Body=os.urandom(ERASURE_CODED_BYTES))  # type: ignore[attr-defined]
        s3.get_object(Bucket="scraped", Key="k")["Body"].read()  # type: ignore[attr-defined]
        api = f"http://127.0.0.1:{web_port}/api/v1/query"
        queries = [
            'sum(objectio_s3_requests_total{op="PutObject"})',
            "max(objectio_meta_osds_up)",
            "sum(objectio_osd_used_bytes)",
            "sum(objectio_osd_rpc_duration_seconds_count)",
        ]

        def value(query: str) -> float:
            try:
                url = f"{api}?{urllib.parse.urlencode({'query': query})}"
                with urllib.request.urlopen(url, timeout=5) as reply:
                    result = json.loads(reply.read())["data"]["result"]
            except (OSError, ValueError, KeyError):
                return 0.0
            return float(result[0]["value"][1]) if result else 0.0

        for query in queries:

            def positive(query: str = query) -> bool:
                return value(query) > 0

            wait_for(f"Prometheus query {query} > 0 (log: {tmp_path / 'prometheus.log'})", positive)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_ready_only_while_meta_and_enough_osds_answer(tmp_path: Path) -> None:
    env = {
        "OBJECTIO_META_HEARTBEAT_INTERVAL_MS": "300",
        "OBJECTIO_META_OSD_DOWN_GRACE_MS": "2000",
        "OBJECTIO_OSD_HEARTBEAT_INTERVAL_MS": "300",
    }
    cluster = start_cluster(tmp_path / "aio", osds=5, extra_env=env)  # exactly RS 4+2's write quorum (k + 1)
    try:

        def ready_status() -> int:
            try:
                with urllib.request.urlopen(f"{cluster.endpoint}/health/ready", timeout=5) as reply:
                    return int(reply.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        with urllib.request.urlopen(f"{cluster.endpoint}/health/live", timeout=5) as reply:
            assert reply.status == 200
        assert ready_status() == 200
        cluster.daemons["osd0"].kill()  # 4 up: below the write quorum
        wait_for("/health/ready 503 with 4 of 5 OSDs up", lambda: ready_status() == 503)
        meta = f"http://127.0.0.1:{cluster.metrics_ports['meta']}/metrics"
        assert scrape(meta)["objectio_meta_cluster_health"] == 2
        cluster.restart("osd0")
        wait_for("/health/ready 200 again", lambda: ready_status() == 200)
        cluster.daemons["meta"].kill()
        wait_for("/health/ready 503 without meta", lambda: ready_status() == 503)
    finally:
        cluster.stop()
