"""Fixtures: the real app served by Hypercorn on a free port (plain HTTP and HTTPS) over an
in-memory backend, driven by boto3 with its default configuration."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from s3_harness import Server, ServerThread, make_config, new_backend, self_signed


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    config = make_config(request_header_bytes_max=8192, body_chunk_bytes=16384, object_bytes_max=8 * 1024**2)
    backend = new_backend()
    with ServerThread(config, backend) as thread:
        yield Server(f"http://127.0.0.1:{thread.port}", thread.port, backend, config)


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    config = make_config(tls_cert_file=cert, tls_key_file=key, body_chunk_bytes=16384)
    backend = new_backend()
    with ServerThread(config, backend) as thread:
        yield Server(f"https://127.0.0.1:{thread.port}", thread.port, backend, config, ca_file=cert)


@pytest.fixture
def s3(server: Server) -> Any:
    return server.client()


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
