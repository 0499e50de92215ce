"""Generate objectio.protos.*_pb2 modules from protos/*.proto, reproducibly.

The .proto files are mapped to the virtual path ``objectio/protos`` so generated imports read
``from objectio.protos import x_pb2``. ``--check`` regenerates into a temporary directory and
fails when the committed output differs (CI runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out_dir: Path) -> list[Path]:
    protos = sorted(PROTO_DIR.glob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-Iobjectio/protos={PROTO_DIR}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *[f"objectio/protos/{p.name}" for p in protos],
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        produced = sorted((Path(tmp) / "objectio" / "protos").iterdir())
        written = []
        for path in produced:
            target = out_dir / path.name
            shutil.copyfile(path, target)
            written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed code is stale")
    args = parser.parse_args()
    if not args.check:
        for path in generate(PROTO_DIR):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [p.name for p in fresh if not filecmp.cmp(p, PROTO_DIR / p.name, shallow=False)]
        committed = {p.name for p in PROTO_DIR.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}
        extra = committed - {p.name for p in fresh}
    if stale or extra:
        print(f"generated protobuf code is stale: {sorted(stale)} extra: {sorted(extra)}; run `make protos`")
        return 1
    print("generated protobuf code is fresh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
