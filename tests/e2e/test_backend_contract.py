"""The Backend and MultipartBackend contract checks of ``tests/gateway`` against the production
ClusterBackend, in-process, over a real all-in-one cluster: one suite for every backend."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))  # the contract modules
from backend_contract import CHECKS
from multipart_contract import MULTIPART_CHECKS

from objectio.cli.aio import AllInOne
from objectio.gateway.backend import Backend
from objectio.gateway.cluster_backend import close_backend, create_backend
from objectio.gateway.config import GatewayConfig

pytestmark = pytest.mark.e2e


@pytest.fixture
async def cluster_backend(cluster: AllInOne, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Backend]:
    monkeypatch.setenv("OBJECTIO_DATAPATH_CLUSTER_TOKEN", cluster.credentials.cluster_token)
    backend = await create_backend(GatewayConfig(meta_address=cluster.meta_address))
    yield backend
    await close_backend(backend)


@pytest.mark.parametrize("check", CHECKS + MULTIPART_CHECKS, ids=lambda c: c.__name__)
async def test_cluster_backend_honours_the_contract(
    cluster_backend: Backend, check: Callable[[Backend, str, str], Awaitable[None]]
) -> None:
    await check(cluster_backend, f"contract-{uuid.uuid4().hex[:10]}", "contract-owner")
