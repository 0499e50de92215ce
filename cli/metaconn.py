"""A blocking connection to the metadata service for one CLI invocation.

Every call carries the cluster token and a fresh request id, has a deadline, and turns gRPC
failures into one-line :class:`CliError` messages with the documented exit codes. A method the
service's protocol does not define (an older or newer meta) becomes :class:`NotAvailable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from objectio.cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, NotAvailable
from objectio.cli.target import Target
from objectio.common.grpcutil import call_metadata, sync_channel
from objectio.common.logs import new_request_id, request_id
from objectio.protos import meta_pb2, meta_pb2_grpc

SERVICE_NAME = "MetaService"
DEFAULT_TIMEOUT_SECONDS = 10.0


def meta_has_rpc(name: str) -> bool:
    """Whether this build's protocol defines ``MetaService.<name>``."""
    service = meta_pb2.DESCRIPTOR.services_by_name[SERVICE_NAME]
    return name in service.methods_by_name


class MetaConn:
    def __init__(self, target: Target, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.target = target
        self.timeout_seconds = timeout_seconds
        self._channel = sync_channel(target.meta_address, target.grpc_tls_ca_file)
        self._stub = meta_pb2_grpc.MetaServiceStub(self._channel)
        request_id.set(new_request_id())

    def close(self) -> None:
        self._channel.close()

    def call(self, rpc: str, request: Any) -> Any:
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        method = getattr(self._stub, rpc)
        try:
            return method(request, metadata=call_metadata(self.target.cluster_token), timeout=self.timeout_seconds)
        except grpc.RpcError as exc:
            raise self._translate(rpc, exc) from None

    def stream(self, rpc: str, request: Any) -> Iterator[Any]:
        """A server-streaming call without a deadline (it lasts as long as the data)."""
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        try:
            yield from getattr(self._stub, rpc)(request, metadata=call_metadata(self.target.cluster_token))
        except grpc.RpcError as exc:
            raise self._translate(rpc, exc) from None

    def send_stream(self, rpc: str, requests: Iterator[Any]) -> Any:
        """A client-streaming call without a deadline."""
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        try:
            return getattr(self._stub, rpc)(requests, metadata=call_metadata(self.target.cluster_token))
        except grpc.RpcError as exc:
            raise self._translate(rpc, exc) from None

    def _translate(self, rpc: str, exc: grpc.RpcError) -> CliError:
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = (exc.details() if isinstance(exc, grpc.Call) else "") or ""
        where = f"metadata service at {self.target.meta_address} (from {self.target.source})"
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            reason = "timed out" if code == grpc.StatusCode.DEADLINE_EXCEEDED else _first_line(details)
            return CliError(f"cannot reach the {where}: {reason}", EXIT_UNREACHABLE)
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return CliError(f"the {where} rejected the cluster token (set OBJECTIO_CLUSTER_TOKEN)", EXIT_UNREACHABLE)
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return NotAvailable(rpc, "the running metadata service does not implement it")
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return CliError(_first_line(details) or "invalid argument", EXIT_USAGE)
        return CliError(_first_line(details) or f"{rpc} failed: {code.name}", EXIT_FAILED)

    # ---- small typed helpers used by several commands ----------------------------------------

    def cluster_map(self) -> meta_pb2.ClusterMap:
        result: meta_pb2.ClusterMap = self.call("GetClusterMap", meta_pb2.GetClusterMapRequest())
        return result

    def status(self) -> meta_pb2.ClusterStatus:
        result: meta_pb2.ClusterStatus = self.call("GetStatus", meta_pb2.Empty())
        return result


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
