"""A cluster started with TLS everywhere (``objectio-aio --tls``): HTTPS for S3 with a private CA,
TLS between the gateway, meta and the OSDs, and nothing answers plaintext."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc

from objectio.cli.aio import AllInOne
from objectio.common.grpcutil import sync_channel
from tests.e2e.conftest import s3_client, start_cluster

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    cluster = start_cluster(tmp_path_factory.mktemp("tls") / "aio", tls=True)
    yield cluster
    cluster.stop()


def test_certificate_is_for_the_cluster_address(tls_cluster: AllInOne) -> None:
    assert tls_cluster.tls_files is not None
    cert = x509.load_pem_x509_certificate(tls_cluster.tls_files.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert tls_cluster.endpoint.startswith("https://")


def test_s3_over_https_with_the_ca(tls_cluster: AllInOne) -> None:
    s3 = s3_client(tls_cluster)  # verify=<ca.pem>
    s3.create_bucket(Bucket="secure")  # type: ignore[attr-defined]
    for key, size in [("small", 1000), ("coded", 300 * 1024)]:  # inline, and erasure-coded over OSD TLS
        body = os.urandom(size)
        s3.put_object(Bucket="secure", Key=key, Body=body)  # type: ignore[attr-defined]
        assert s3.get_object(Bucket="secure", Key=key)["Body"].read() == body  # type: ignore[attr-defined]


def test_plain_http_and_unknown_ca_fail(tls_cluster: AllInOne, tmp_path: Path) -> None:
    plain = tls_cluster.endpoint.replace("https://", "http://")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"{plain}/health/live", timeout=5)
    with pytest.raises(urllib.error.URLError) as failure:  # system CAs do not know ours
        urllib.request.urlopen(f"{tls_cluster.endpoint}/health/live", timeout=5, context=ssl.create_default_context())
    assert isinstance(failure.value.reason, ssl.SSLCertVerificationError)


def test_grpc_needs_tls(tls_cluster: AllInOne) -> None:
    check = health_pb2.HealthCheckRequest(service="")
    for port in [tls_cluster.meta_port, tls_cluster.osd_ports[0]]:
        with sync_channel(f"127.0.0.1:{port}", tls_cluster.ca_file) as channel:
            assert health_pb2_grpc.HealthStub(channel).Check(check, timeout=5).status == 1  # SERVING
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, pytest.raises(grpc.RpcError) as failure:
            health_pb2_grpc.HealthStub(channel).Check(check, timeout=3)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_cli_finds_the_ca_of_a_tls_all_in_one(tls_cluster: AllInOne) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBJECTIO_")}
    argv = [sys.executable, "-m", "objectio.cli.main", "--data-dir", str(tls_cluster.data_dir), "status", "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["osds_up"] == tls_cluster.osds
    bench = [*argv[:-2], "bench", "--objects", "4", "--size", "64KiB", "--threads", "2", "--json"]
    proc = subprocess.run(bench, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr  # the S3 endpoint is https, verified with the same CA
    env["OBJECTIO_GRPC_TLS_CA_FILE"] = ""  # no CA: plaintext to a TLS server, unreachable
    env["OBJECTIO_META"] = tls_cluster.meta_address
    proc = subprocess.run([*argv[:3], "--data-dir", "/nonexistent", "status"], capture_output=True, text=True, env=env)
    assert proc.returncode == 4, proc.stderr  # EXIT_UNREACHABLE


def test_meta_reaches_the_osds_over_tls(tls_cluster: AllInOne) -> None:
    """Repair and the scrub relay are meta's calls to the OSDs: with TLS they verify the CA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBJECTIO_")}
    argv = [sys.executable, "-m", "objectio.cli.main", "--data-dir", str(tls_cluster.data_dir), "scrub", "status"]
    proc = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == tls_cluster.osds and all(r["reachable"] for r in rows), rows
