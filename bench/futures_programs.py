"""The programs of testing/futures_programs.ts on CPython's threads.

Each is the same program as its namesake there, with `concurrent.futures`'
ThreadPoolExecutor, `time.sleep` where a call awaits there, and prints the
same line of JSON; `deno task bench` runs both in one run and compares them.

    python3 bench/futures_programs.py strand
"""

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def nap(ms):
    time.sleep(ms / 1000)
    return threading.get_ident()


def work(turns):
    total = 0
    for i in range(turns):
        total = (total * 31 + i) & 0xFFFF
    return total


def measure_work_rate():
    """How many turns of work's loop take a millisecond, over 50 ms."""
    turns = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        work(1000)
        turns += 1000
    return turns / ((time.perf_counter() - t0) * 1000)


TURNS_PER_MS = 0


def compute(ms, _await_ms=0):
    """As much processor work as `ms` takes on one idle core."""
    work(round(ms * TURNS_PER_MS))
    return threading.get_ident()


def await_then_compute(await_ms, compute_ms):
    nap(await_ms)
    return compute(compute_ms)


def span_of(fn, *args):
    """fn(*args), with where and when it ran: [thread, start, end]."""
    start = time.time() * 1000
    fn(*args)
    return [threading.get_ident(), start, time.time() * 1000]


def compute_then_await(compute_ms, await_ms):
    compute(compute_ms)
    return nap(await_ms)


def await_then_spin(ms):
    nap(ms)
    while True:
        pass


def raise_in_thread():
    raise RuntimeError("raised in a thread of the call")


def stray_thread(ms):
    """Both stray programs: CPython prints an exception raised in a thread."""
    nap(ms)
    threading.Thread(target=raise_in_thread).start()
    nap(ms)
    return "returned"


def stray_exit(ms):
    nap(ms)
    sys.exit(3)


def ident(value):
    return value


def since(t0):
    return round((time.perf_counter() - t0) * 1000, 1)


def end_times(futures, t0):
    ends = []
    for future in futures:
        future.add_done_callback(lambda _: ends.append(since(t0)))
    return ends


def strand():
    executor = ThreadPoolExecutor(8)
    executor.submit(ident, 0).result()
    t0 = time.perf_counter()
    long = executor.submit(span_of, await_then_compute, 20, 2000)
    naps = [executor.submit(span_of, nap, 200) for _ in range(20)]
    ends = end_times(naps, t0)
    spans = [f.result() for f in naps]
    long_done = long.done()
    return {
        "ends": sorted(ends),
        "longDone": long_done,
        "napsBesideLong": beside(spans, long.result()),
    }


def spin():
    executor = ThreadPoolExecutor()
    t0 = time.perf_counter()
    first = [executor.submit(nap, 200) for _ in range(3)]
    executor.submit(await_then_spin, 20)
    nap(30)
    more = [executor.submit(nap, 10) for _ in range(8)]
    for future in first + more:
        future.result()
    return {"ended": len(first) + len(more), "ms": since(t0)}


def stray(fn):
    executor = ThreadPoolExecutor(32)
    naps = [executor.submit(nap, 500) for _ in range(31)]
    odd = executor.submit(fn, 20)
    ok = sum(1 for f in naps if f.exception() is None)
    try:
        outcome = odd.result()
    except BaseException as exc:  # SystemExit is what sys.exit raises
        outcome = f"{type(exc).__name__}: {exc}"
    after = executor.submit(ident, "after").result()
    return {"ok": ok, "outcome": outcome, "after": after}


def first_part(first):
    executor = ThreadPoolExecutor(4)
    t0 = time.perf_counter()
    head = executor.submit(span_of, first, 1000, 10)
    plain = [executor.submit(span_of, compute, 300) for _ in range(4)]
    spans = [f.result() for f in plain]
    ms = since(t0)
    return {"ms": ms, "besideFirst": beside(spans, head.result())}


def beside(spans, other):
    """How many of spans ran on the thread of other while it ran."""
    other_id, other_start, other_end = other
    return sum(
        1
        for (id_, start, end) in spans
        if id_ == other_id and start < other_end and end > other_start
    )


def compute_after_await():
    executor = ThreadPoolExecutor(4)
    t0 = time.perf_counter()
    futures = [executor.submit(await_then_compute, 10, 187) for _ in range(8)]
    ids = [f.result() for f in futures]
    ms = since(t0)
    ideal = 8 * 187 / min(4, os.cpu_count())
    return {"ms": ms, "ideal": ideal, "workers": len(set(ids))}


def trivial():
    t0 = time.perf_counter()
    executor = ThreadPoolExecutor(4)
    futures = [executor.submit(ident, i) for i in range(10_000)]
    values = [f.result() for f in futures]
    return {"ms": since(t0), "inOrder": values == list(range(10_000))}


def map_():
    t0 = time.perf_counter()
    executor = ThreadPoolExecutor()
    values = list(executor.map(ident, range(10_000)))
    return {"ms": since(t0), "inOrder": values == list(range(10_000))}


def await10():
    t0 = time.perf_counter()
    executor = ThreadPoolExecutor(100)
    futures = [executor.submit(nap, 10) for _ in range(10_000)]
    for future in futures:
        future.result()
    return {"ms": since(t0)}


PROGRAMS = {
    "strand": strand,
    "spin": spin,
    "stray-timer": lambda: stray(stray_thread),
    "stray-rejection": lambda: stray(stray_thread),
    "stray-exit": lambda: stray(stray_exit),
    "first-part": lambda: first_part(compute_then_await),
    "first-part-plain": lambda: first_part(compute),
    "compute-after-await": compute_after_await,
    "trivial": trivial,
    "map": map_,
    "await10": await10,
}


def main(name):
    global TURNS_PER_MS
    TURNS_PER_MS = measure_work_rate()
    print(json.dumps(PROGRAMS[name]()), flush=True)
    os._exit(0)  # a call may spin forever


if __name__ == "__main__":
    main(sys.argv[1])
