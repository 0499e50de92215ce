"""CPU one OSD spends per ``ReadShards`` of one fragment, without the rest of the cluster.

Starts an OSD service (native engine on a sparse image file, uvloop, both interceptors, as
``objectio-osd`` runs it, minus meta) in a child process, writes ``--fragments`` fragments of
each ``--sizes`` through ``WriteShards``, then for ``--seconds`` keeps ``--in-flight`` single-
fragment ``ReadShards`` calls going against random ones and reports, from the child's /proc, the
OSD's CPU time per read and the reads per second. The client side is the same protobuf stub for
every checkout, so two checkouts' numbers compare the OSD alone. Run it with each checkout's
own interpreter for an A/B:

    .venv/bin/python bench/osd_reads.py --sizes 16384,262144
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKEN = "osd-reads-bench"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve(image: str, port_file: str) -> None:
    from grpc import aio

    from objectio.common.grpcutil import ClusterAuthInterceptor, RpcTimingInterceptor, server_options
    from objectio.native.engine import Engine
    from objectio.osd import service
    from objectio.osd.store import NativeStore
    from objectio.protos import osd_pb2_grpc

    store = NativeStore(Engine.open(image), io_threads=32)
    server = aio.server(
        options=server_options(), interceptors=[ClusterAuthInterceptor(TOKEN), RpcTimingInterceptor(lambda m, s: None)]
    )
    osd_pb2_grpc.add_OsdServiceServicer_to_server(service.OsdServicer(store, 1, 4, 2), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    Path(port_file).write_text(str(port))
    await server.wait_for_termination()


async def drive(port: int, pid: int, size: int, fragments: int, seconds: float, in_flight: int) -> tuple[float, float]:
    from grpc import aio

    from objectio.common.grpcutil import call_metadata
    from objectio.common.shardkey import new_object_id
    from objectio.protos import osd_pb2, osd_pb2_grpc

    metadata = call_metadata(TOKEN)
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    stub = osd_pb2_grpc.OsdServiceStub(channel)
    addresses = [
        osd_pb2.ShardAddress(object_id=new_object_id(), stripe_index=0, fragment_index=0) for _ in range(fragments)
    ]
    data = os.urandom(size)
    for start in range(0, fragments, 8):
        writes = [osd_pb2.ShardWrite(address=a, data=data) for a in addresses[start : start + 8]]
        await stub.WriteShards(osd_pb2.WriteShardsRequest(shards=writes), metadata=metadata)
    reads = 0
    deadline = time.monotonic() + seconds

    async def reader() -> None:
        nonlocal reads
        while time.monotonic() < deadline:
            request = osd_pb2.ReadShardsRequest(reads=[osd_pb2.ShardRead(address=random.choice(addresses))])
            reply = await stub.ReadShards(request, metadata=metadata)
            if reply.results[0].status != osd_pb2.SHARD_OK or len(reply.results[0].data) != size:
                raise RuntimeError(f"bad read: status {reply.results[0].status}")
            reads += 1

    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.gather(*(reader() for _ in range(in_flight)))
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    await channel.close(None)
    return (cpu1 - cpu0) / reads * 1e6, reads / (t1 - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="16384,262144", help="fragment sizes in bytes, comma separated")
    parser.add_argument("--fragments", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("IMAGE", "PORT_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        uvloop.run(serve(*args.serve))
        return 0
    from objectio.native.engine import Engine

    with tempfile.TemporaryDirectory(prefix="objectio-osd-reads-") as tmp:
        image, port_file = Path(tmp) / "disk.img", Path(tmp) / "port"
        with open(image, "wb") as f:
            f.truncate(2 << 30)
        Engine.format(str(image), osd_id=1, cluster_id="6f1c0b3e-9a4d-4c2e-8f7a-1d2b3c4d5e6f")
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(image), str(port_file)])
        try:
            while not port_file.exists():
                if child.poll() is not None:
                    raise RuntimeError("the OSD child exited")
                time.sleep(0.05)
            port = int(port_file.read_text())
            for size in (int(s) for s in args.sizes.split(",")):
                us, rate = asyncio.run(drive(port, child.pid, size, args.fragments, args.seconds, args.in_flight))
                load = os.getloadavg()[0]
                print(f"{size:>8} B: {us:7.0f} us OSD CPU per read, {rate:7.0f} reads/s (load {load:.1f})")
        finally:
            child.terminate()
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
