#!/usr/bin/env bash
# check-thread-safety.sh [BUILD_DIR]: Clang's -Wthread-safety over ablate's
# translation units that use the Abseil lock annotations (ABSL_GUARDED_BY,
# ABSL_EXCLUSIVE_LOCKS_REQUIRED, ...), as a syntax-only pass with the flags of
# BUILD_DIR/compile_commands.json (default build/; GCC ignores the
# annotations, so the normal build does not check them). Exit 1 on any
# thread-safety warning. LibTorch units are included when they use the
# annotations; expect a few minutes on 2 cores.
#
#   scripts/build.sh && scripts/check-thread-safety.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
clang=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$clang" ] || { echo "check-thread-safety: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 2; }
[ -f "$build/compile_commands.json" ] || { echo "check-thread-safety: no $build/compile_commands.json (run scripts/build.sh)" >&2; exit 2; }
# Units (product code, not *_test.cc) that mention the annotations or include,
# directly or through other project headers, a header that does: a caller of
# an ABSL_EXCLUSIVE_LOCKS_REQUIRED method is checked, not only its definer.
mapfile -t files < <(python3 - <<'PY'
import re, subprocess
tracked = subprocess.run(["git", "ls-files", "*.cc", "*.h"], capture_output=True, text=True, check=True).stdout.split()
ann = re.compile(r"ABSL_(GUARDED_BY|PT_GUARDED_BY|EXCLUSIVE_LOCKS_REQUIRED|SHARED_LOCKS_REQUIRED|LOCKS_EXCLUDED|ACQUIRED_(AFTER|BEFORE))")
inc = re.compile(r'^#include "([^"]+)"', re.M)
text = {f: open(f, errors="replace").read() for f in tracked}
marked = {f for f, t in text.items() if ann.search(t)}
headers = {f: set(inc.findall(t)) for f, t in text.items()}
changed = True
while changed:  # headers that include a marked header are marked
    changed = False
    for f in tracked:
        if f.endswith(".h") and f not in marked and headers[f] & marked:
            marked.add(f)
            changed = True
for f in sorted(tracked):
    if f.endswith(".cc") and not f.endswith("_test.cc") and (f in marked or headers[f] & marked):
        print(f)
PY
)
python3 - "$build/compile_commands.json" "$clang" "${files[@]}" <<'PY'
import concurrent.futures, json, os, shlex, subprocess, sys
db, clang, wanted = sys.argv[1], sys.argv[2], set(sys.argv[3:])
root = os.getcwd()
failed = 0
checked = 0
jobs = []
for e in json.load(open(db)):
    rel = os.path.relpath(e["file"], root)
    if rel not in wanted:
        continue
    args = shlex.split(e["command"])
    if os.path.basename(args[0]) == "ccache":
        args = args[1:]
    out, skip = [clang], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c" or a.startswith("-g"):
            continue
        # Clang 14 with libstdc++ 12 cannot parse LibTorch 2.x headers as
        # C++20 (constexpr std::vector<c10::IValue> of an incomplete type);
        # the analysis does not depend on the standard, and Clang accepts
        # the project's designated initializers in C++17 as an extension.
        if a.startswith("-std="):
            a = "-std=gnu++17"
        out.append(a)
    out += ["-fsyntax-only", "-Wno-everything", "-Wthread-safety", "-Werror=thread-safety"]
    jobs.append((out, e["directory"]))

def check(job):
    return subprocess.run(job[0], cwd=job[1], capture_output=True, text=True)

with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
    for r in pool.map(check, jobs):
        checked += 1
        if r.returncode != 0:
            failed += 1
            sys.stdout.write(r.stderr)
print(f"check-thread-safety: {checked} units, {failed} with findings")
sys.exit(1 if failed else 0)
PY
