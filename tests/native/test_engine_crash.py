"""Crash test: a child process does durable puts/deletes and is SIGKILLed at random moments.

After every kill the image is reopened (WAL replay) and checked: each key holds exactly the
value of its last acknowledged operation, or of the one operation that was in flight when
the kill landed — never a partial or foreign value.  Reproduce with the printed seed.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from enginetest import check_value, make_image

from objectio.native.engine import Engine, NotFoundError

CHILD = Path(__file__).with_name("crash_child.py")

State = int | None  # the seq of the value a key holds, None when absent


def run_child_until_kill(image: str, seed: int, first_seq: int, run_s: float) -> list[bytes]:
    env = dict(os.environ, PYTHONPATH=str(CHILD.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), image, str(seed), str(first_seq)], stdout=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None
    out = b""
    deadline = None
    try:
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 0.02)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                out += chunk
                if deadline is None and b"READY\n" in out:
                    deadline = time.monotonic() + run_s
            if deadline is not None and time.monotonic() >= deadline:
                break
            if deadline is None and proc.poll() is not None:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        out += rest
    assert b"READY\n" in out, f"child failed to start (seed {seed}); output {out[-500:]!r}"
    lines = out.split(b"\n")
    return lines[:-1]  # the last piece is empty or a line cut by the kill


def check_round(image: str, truth: dict[bytes, State], lines: list[bytes], seed: int) -> int:
    acked: dict[bytes, State] = {}
    pending: dict[bytes, State] = {}
    for line in lines:
        if line == b"READY":
            continue
        kind, op, key, seq_s = line.split(b" ")
        state: State = int(seq_s) if op == b"P" else None
        if kind == b"I":
            pending[key] = state
        else:
            acked[key] = state
            pending.pop(key, None)
    with Engine.open(image, cache_bytes=4 << 20) as eng:
        for key in set(truth) | set(acked) | set(pending):
            allowed = {acked[key] if key in acked else truth.get(key)}
            if key in pending:
                allowed.add(pending[key])
            try:
                actual: State = check_value(key, eng.get(key))
            except NotFoundError:
                actual = None
            assert actual in allowed, f"seed {seed}: {key!r} holds {actual}, allowed {allowed}"
            truth[key] = actual
        listed = {i.key for i in eng.scan(limit=10000)}
        assert listed == {k for k, v in truth.items() if v is not None}, f"seed {seed}: scan disagrees"
    return len(acked)


def crash_rounds(tmp_path: Path, kills: int, seed: int) -> None:
    image = make_image(tmp_path / "crash.img", 64 << 20)
    rng = random.Random(seed)
    truth: dict[bytes, State] = {}
    total_acked = 0
    for round_no in range(kills):
        lines = run_child_until_kill(image, seed + round_no, (round_no + 1) * 10_000_000, rng.uniform(0.05, 0.5))
        total_acked += check_round(image, truth, lines, seed + round_no)
    assert total_acked > kills, f"seed {seed}: too few acknowledged operations ({total_acked})"


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    crash_rounds(tmp_path, kills=22, seed=1000)


@pytest.mark.slow
def test_sigkill_many_rounds(tmp_path: Path) -> None:
    crash_rounds(tmp_path, kills=150, seed=5000)
