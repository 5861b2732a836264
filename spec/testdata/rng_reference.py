#!/usr/bin/env python3
"""Independent transcription of spec/rng.h and of the expander's draws.

The pinned draws in spec/rng_test.cc and spec/expander_test.cc were computed
with this script. Run it to re-derive them:  python3 spec/testdata/rng_reference.py
"""
M = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001B3) & M
    return h


def stream_seed(tag, seed, model, trial):  # tag 1 = random, 2 = progressive
    h = mix(tag)
    h = mix(h ^ seed)
    h = mix(h ^ fnv1a64(model))
    return mix(h ^ trial)


class SplitMix64:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        return mix(self.s)

    def uniform(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.next()
            if x >= threshold:
                return x % n


def partial_shuffle(v, k, rng):
    v = list(v)
    i = 0
    while i < k and i + 1 < len(v):
        j = i + rng.uniform(len(v) - i)
        v[i], v[j] = v[j], v[i]
        i += 1
    return v


def draw(pool, k, seed, model, trial, tag=1):
    return sorted(partial_shuffle(pool, k, SplitMix64(stream_seed(tag, seed, model, trial)))[:k])


def draw_trials(pool, k, seed, model, trials, max_redraws=64):
    """Random trials with distinct sets: a repeat is redrawn from stream trial + a * 2^32."""
    out = []
    for t in range(trials):
        for a in range(max_redraws + 1):
            d = draw(pool, k, seed, model, t + (a << 32))
            if d not in out:
                break
        out.append(d)
    return out


if __name__ == "__main__":
    print("rng_test PinnedDraw:", partial_shuffle(range(10), 3, SplitMix64(stream_seed(1, 0, "qwen3.5-0.8b", 0)))[:3])
    linear = [l for l in range(24) if (l + 1) % 4]  # Qwen3.5-0.8B DeltaNet layers
    for t in range(3):
        print(f"qwen35 random match=attention exclude_matched t{t}:", draw(linear, 6, 0, "qwen35", t))
    print("qwen35 random match=attention seed=5 t0:", draw(range(24), 6, 5, "qwen35", 0))
    attention = [3, 7, 11, 15, 19, 23]
    for t in range(2):
        order = partial_shuffle(attention, 3, SplitMix64(stream_seed(2, 4, "qwen35", t)))
        print(f"qwen35 progressive random seed=4 t{t}: n=1 {sorted(order[:1])} n=3 {sorted(order[:3])}")
    for t, d in enumerate(draw_trials(range(6), 2, 0, "small", 15)):
        print(f"distinct trials, 2 of 6, t{t}:", d)
