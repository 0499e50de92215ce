"""Child process of test_engine_crash: durable puts/deletes in a loop until SIGKILLed.

Usage: crash_child.py IMAGE SEED FIRST_SEQ.  Protocol on stdout, one line per event:
  "I <op> <key> <seq>"  before an operation starts (op is P for put, D for delete)
  "A <op> <key> <seq>"  after it returned, i.e. once it is acknowledged
Each thread owns its own keys, so the operations on one key are sequential and at most one
is in flight when the kill lands.  Several threads run at once so kills land inside group
commits.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading

from enginetest import value_for

from objectio.native.engine import Engine, NotFoundError

KEYS_PER_THREAD = 50
THREADS = 4


def emit(lock: threading.Lock, lines: list[bytes]) -> None:
    with lock:
        sys.stdout.buffer.write(b"".join(lines))
        sys.stdout.buffer.flush()


def one_op(eng: Engine, rng: random.Random, me: int, seq: int, lock: threading.Lock) -> None:
    keys = sorted({b"crash/%d/%03d" % (me, rng.randrange(KEYS_PER_THREAD)) for _ in range(3)})
    roll = rng.random()
    if roll < 0.1:
        emit(lock, [b"I D %s %d\n" % (keys[0], seq)])
        with contextlib.suppress(NotFoundError):
            eng.delete(keys[0])
        emit(lock, [b"A D %s %d\n" % (keys[0], seq)])
    elif roll < 0.25:
        items = [(k, value_for(k, seq, rng.choice([10, 5000, 70000])), b"m") for k in keys]
        emit(lock, [b"I P %s %d\n" % (k, seq) for k in keys])
        eng.put_many(items)
        emit(lock, [b"A P %s %d\n" % (k, seq) for k in keys])
    else:
        key = keys[0]
        emit(lock, [b"I P %s %d\n" % (key, seq)])
        eng.put(key, value_for(key, seq, rng.choice([1, 100, 4096, 20000, 100000])), b"m")
        emit(lock, [b"A P %s %d\n" % (key, seq)])


def worker(eng: Engine, seed: int, me: int, seqs: list[int], lock: threading.Lock) -> None:
    rng = random.Random(seed * 100 + me)
    while True:
        with lock:
            seqs[0] += 1
            seq = seqs[0]
        one_op(eng, rng, me, seq, lock)


def main() -> None:
    image, seed, first_seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    eng = Engine.open(image, cache_bytes=4 << 20)
    lock = threading.Lock()
    emit(lock, [b"READY\n"])
    seqs = [first_seq]
    threads = [threading.Thread(target=worker, args=(eng, seed, i, seqs, lock)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
