#!/usr/bin/env python3
"""Reference for worker/text/python_random.h and the LM_EVAL few-shot sampler.

Uses CPython's own `random` module (not a transcription), and lm-evaluation-
harness's default sampler loop written out (ContextSampler.get_context: draw
k, or k + 1 when the few-shot split is the evaluated one, from ONE
random.Random(fewshot_seed) per task, for each document in order; drop drawn
documents equal to the evaluated one; keep the first k).

  python3 worker/text/testdata/lm_eval_fewshot_reference.py          # the pinned values
  python3 worker/text/testdata/lm_eval_fewshot_reference.py --json   # everything, for the live test

The pinned values in worker/text/python_random_test.cc were printed by this
script with Debian 12's python3 (3.11).
"""
import json
import random
import sys


def raw(seed, n):
    r = random.Random(seed)
    return [r.getrandbits(32) for _ in range(n)]


def bits(seed, ks):
    r = random.Random(seed)
    return [r.getrandbits(k) for k in ks]


def below(seed, ns):
    r = random.Random(seed)
    return [r._randbelow(n) for n in ns]


def samples(seed, cases):
    r = random.Random(seed)
    return [r.sample(range(n), k) for n, k in cases]


def lm_eval_shots(pool, docs, k, same_split, seed):
    """lm-eval's default sampler over `docs` (lists of dicts), as pool indices."""
    rnd = random.Random(seed)
    out = []
    for doc in docs:
        n = k + 1 if same_split else k
        drawn = rnd.sample(range(len(pool)), n)  # same draws as rnd.sample(pool, n)
        kept = [i for i in drawn if pool[i] != doc][:k]
        out.append(kept)
    return out


SAMPLE_CASES = [(10, 4), (5, 5), (26, 3), (30, 6), (100, 8), (1000, 25), (7, 0), (1 << 20, 3)]
BITS = [1, 5, 31, 32, 33, 40, 63, 64]
BELOW = [1, 2, 3, 7, 10, 1000, (1 << 32) + 3, (1 << 40) - 1]


def pool_docs(n):
    return [{"q": f"question {i}", "a": i % 4} for i in range(n)]


def everything():
    pool = pool_docs(12)
    return {
        "raw": {str(s): raw(s, 5) for s in (0, 1, 1234, 2**32 + 7, 2**63 + 11)},
        "bits": bits(1234, BITS),
        "below": below(1234, BELOW),
        "samples": {str(s): samples(s, SAMPLE_CASES) for s in (0, 1234, 99)},
        # The pool is the evaluated file: documents 0..5 of it, 3 shots each.
        "lm_eval_same_split": lm_eval_shots(pool, pool[:6], 3, True, 1234),
        # Another file: 4 shots from 12 for 5 documents that are not in it.
        "lm_eval_other_split": lm_eval_shots(pool, pool_docs(17)[12:], 4, False, 1234),
    }


if __name__ == "__main__":
    data = everything()
    if "--json" in sys.argv:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(key, value)
