"""Runs MiniStack with one performance fix, for benchmarks only (start.sh --fifo-dedup-fix).

MiniStack 1.5.33 prunes a FIFO queue's deduplication cache on every SendMessage by rebuilding the whole
dict (`ministack.services.sqs._prune_dedup`): each send costs one pass over every dedup id of the last
5 minutes, so a FIFO queue fed steadily gets slower the longer it runs. Under the saga load bench it was
59% of the emulator's main-thread samples (py-spy), a cost SQS on AWS does not have.

The replacement drops expired entries from the front of the cache and stops at the first live one. The
cache is a dict in insertion order and every entry expires 300 s after it was inserted, so the entries in
front are the oldest: what is left afterwards is exactly what the original left (live entries only, same
order), at a cost proportional to the entries that expired.

The fix is applied only to the source it was written against (its SHA-256 is checked); any other
MiniStack runs unpatched and says so. When applied it writes `patches` in the working directory (start.sh
runs this in .ministack/<port>/), which the benchmarks read to label their figures.
"""

import hashlib
import inspect
import random
import runpy
import sys
import time

ORIGINAL_SHA256 = "798b8a9933ba110742728888c3900b7b7fa75a4eeb7d881895bc2247767b404f"


def prune_expired_from_front(q: dict) -> None:
    now = time.time()
    cache = q["dedup_cache"]
    while cache:
        oldest = next(iter(cache))
        if cache[oldest]["expire"] > now:
            break
        del cache[oldest]



def self_test(rounds: int = 500) -> int:
    """Checks the replacement against the original rule (keep the live entries, in order) on random caches."""
    rng = random.Random(7)
    for r in range(rounds):
        now = time.time()
        inserted = now - 300 - rng.uniform(0, 60)
        cache = {}
        for i in range(rng.randint(0, 60)):
            inserted += rng.uniform(0, 15)
            cache[f"id-{r}-{i}"] = {"expire": inserted + 300, "id": i}
        # A key expired and sent again goes to the back, as SendMessage re-inserts it after the prune.
        expected = {k: v for k, v in cache.items() if v["expire"] > now}
        q = {"dedup_cache": dict(cache)}
        prune_expired_from_front(q)
        if list(q["dedup_cache"].items()) != list(expected.items()):
            print(f"self-test: round {r}: kept {list(q['dedup_cache'])}, expected {list(expected)}", file=sys.stderr)
            return 1
    print(f"self-test: {rounds} random caches pruned exactly as the original rule prunes them")
    return 0


if __name__ == "__main__" and sys.argv[1:] == ["--self-test"]:
    sys.exit(self_test())

import ministack.services.sqs as sqs  # noqa: E402 (the self-test runs without MiniStack)

source = inspect.getsource(sqs._prune_dedup)
if hashlib.sha256(source.encode()).hexdigest() == ORIGINAL_SHA256:
    sqs._prune_dedup = prune_expired_from_front
    with open("patches", "w", encoding="utf-8") as f:
        f.write("fifo-dedup-fix\n")
    print("[cutover] FIFO dedup fix applied (ministack.services.sqs._prune_dedup)", file=sys.stderr, flush=True)
else:
    print(
        "[cutover] FIFO dedup fix NOT applied: _prune_dedup is not the 1.5.33 source it was written for",
        file=sys.stderr,
        flush=True,
    )

sys.argv = ["ministack"]
runpy.run_module("ministack", run_name="__main__", alter_sys=True)
