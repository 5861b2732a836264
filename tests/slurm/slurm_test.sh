#!/usr/bin/env bash
# slurm_test.sh STATE_DIR BUILD_DIR SOURCE_DIR CASE: one real-Slurm scenario
# against the cluster slurm_up.sh started. A real ablate-coordinator on
# 127.0.0.1, `ablate submit`, `ablate workers launch --slurm` (sbatch of a
# worker array), Slurm's own scancel / time limit / requeue, and at the end the
# SQLite file: every job has exactly one result, nothing failed, no attempt
# was counted as a failure. The workers are the test worker (real WorkerRuntime,
# signals and drain; deterministic evaluator with --sleep-ms) with
# --device cpu on fake GPUs: the CPU run stands in for the GPU run.
#
# CASE: array | scancel | timelimit | requeue | autoscale | onealloc. Exit 77 (skip) when the fixture
# could not bring Slurm up, with its reason.
set -uo pipefail
state="$1" build="$2" src="$3" case="$4"
if [[ -f "$state/skip" ]]; then echo "SKIP: $(cat "$state/skip")"; exit 77; fi
[[ -f "$state/env" ]] || { echo "SKIP: Slurm fixture (slurm_up) did not run"; exit 77; }
# shellcheck disable=SC1091
source "$state/env"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 CLI missing (scripts/setup.sh installs it)"; exit 77; }

work="$(mktemp -d "$state/$case.XXXXXX")"
job_name="abl-$case-$$"

if [[ "$case" == onealloc ]]; then
  # deploy/slurm/ablate-sweep.sbatch as shipped, on a 2-task CPU allocation:
  # scancel --batch --signal=TERM mid-sweep drains the workers (their running
  # jobs finish and are reported) before the coordinator stops, and the job
  # exits 1 (not finished); the same script again resumes (submit --resume)
  # and exits 0 with exactly one result per job.
  if ! "$build/cli/ablate" submit --help 2>&1 | grep -q -- --resume; then
    echo "SKIP: this ablate has no 'submit --resume' yet (issue 9 section 2); the one-allocation script needs it"
    exit 77
  fi
  prefix="$work/prefix"
  mkdir -p "$prefix/bin" "$work/run"
  ln -s "$build/cli/ablate" "$prefix/bin/ablate"
  ln -s "$build/coordinator/ablate-coordinator" "$prefix/bin/ablate-coordinator"
  printf '#!/bin/bash\nexec %q --coordinator "$ABLATE_COORDINATOR" --sleep-ms 4000 "$@"\n' \
    "$build/tests/ablate-test-worker" >"$prefix/bin/ablate-worker"
  chmod +x "$prefix/bin/ablate-worker"
  cat >"$work/run/spec.yaml" <<SPEC
name: slurm-onealloc
models:
  - {name: qwen2-fortunes, path: $src/examples/models/qwen2-fortunes}
evaluations:
  - {name: ppl, perplexity: {dataset: $src/examples/data/fortunes-heldout.txt, max_length: 64}}
ablations:
  - baseline
  - {layer_sweep: layer, mode: skip_layer}
SPEC
  port=$((20000 + RANDOM % 20000))
  export ABLATE_COORDINATOR="127.0.0.1:$port"
  submit() {
    (cd "$work/run" && ABLATE_PREFIX="$prefix" ABLATE_PORT="$port" ABLATE_LISTEN_HOST=127.0.0.1 \
      ABLATE_COORDINATOR_HOST=127.0.0.1 ABLATE_IDLE_EXIT_S=3 sbatch --parsable --job-name="$job_name" \
      --ntasks=2 --cpus-per-task=1 --mem-per-cpu=300 "$src/deploy/slurm/ablate-sweep.sbatch" spec.yaml)
  }
  gone() { [[ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]]; }
  exit_code() { scontrol show job "$1" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p' | head -1; }
  fail1() { echo "FAIL (onealloc): $*"; tail -20 "$work"/run/*.out; exit 1; }
  j1="$(submit)" || fail1 "sbatch"
  progress() { "$build/cli/ablate" status 1 2>/dev/null | grep -q " [1-9] succeeded"; }
  for _ in $(seq 1 120); do progress && break; sleep 0.5; done
  progress || fail1 "no progress"
  scancel --batch --signal=TERM "$j1"
  for _ in $(seq 1 120); do gone "$j1" && break; sleep 0.5; done
  gone "$j1" || fail1 "job $j1 did not end after SIGTERM"
  grep -q "SIGTERM: draining workers" "$work/run/ablate-sweep-$j1.out" || fail1 "no drain"
  [[ "$(exit_code "$j1")" == 1 ]] || fail1 "interrupted job exited $(exit_code "$j1"), want 1"
  j2="$(submit)" || fail1 "sbatch again"
  for _ in $(seq 1 180); do gone "$j2" && break; sleep 0.5; done
  gone "$j2" || fail1 "resumed job $j2 did not end"
  [[ "$(exit_code "$j2")" == 0 ]] || fail1 "resumed job exited $(exit_code "$j2"), want 0"
  q="$(sqlite3 "$work/run/ablate.db" "SELECT (SELECT COUNT(*) FROM sweeps), (SELECT COUNT(*) FROM jobs),
        (SELECT COUNT(*) FROM job_results), (SELECT MAX(counted_attempts) FROM jobs)")"
  [[ "$q" == "1|9|9|0" ]] || fail1 "want one sweep, 9 jobs, 9 results, no failure; got $q"
  echo "PASS (onealloc): interrupted job exit 1, resumed job exit 0, sweeps|jobs|results|max_counted = $q"
  exit 0
fi
ablate="$build/cli/ablate"
coord_pid=""
fail() {
  echo "FAIL ($case): $*"
  echo "--- coordinator log"; tail -30 "$work/coord.log" 2>/dev/null
  for f in "$work"/logs/*.out; do [[ -f "$f" ]] && { echo "--- $f"; tail -15 "$f"; }; done
  squeue -h -r -o "%i %T %r" 2>/dev/null
  exit 1
}
cleanup() {
  scancel --name="$job_name" 2>/dev/null
  if [[ -n "$coord_pid" ]]; then kill -TERM "$coord_pid" 2>/dev/null; wait "$coord_pid" 2>/dev/null; fi
}
trap cleanup EXIT

# ---- coordinator, spec, helpers ----
"$build/coordinator/ablate-coordinator" --db "$work/ablate.db" --listen 127.0.0.1:0 \
  --heartbeat-interval-ms 500 >"$work/coord.log" 2>&1 &
coord_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr="$(sed -n 's/^ablate-coordinator listening on \([^ ]*\).*/\1/p' "$work/coord.log")"
  [[ -n "$addr" ]] && break
  sleep 0.1
done
[[ -n "$addr" ]] || fail "coordinator did not start"
export ABLATE_COORDINATOR="$addr"

cat >"$work/spec.yaml" <<SPEC
name: slurm-$case
models:
  - {name: qwen2-fortunes, path: $src/examples/models/qwen2-fortunes}
evaluations:
  - {name: ppl, perplexity: {dataset: $src/examples/data/fortunes-heldout.txt, max_length: 64}}
ablations:
  - baseline
  - {layer_sweep: layer, mode: skip_layer}
execution: {lease_ttl_seconds: 10, max_attempts: 2}
SPEC
out="$("$ablate" submit "$work/spec.yaml" 2>&1)" || fail "submit: $out"
sweep="$(sed -n 's/.*sweep \([0-9]*\).*/\1/p' <<<"$out" | head -1)"
total="$(sed -n 's/.*: \([0-9]*\) jobs.*/\1/p' <<<"$out" | head -1)"
[[ -n "$sweep" && "$total" -gt 0 ]] || fail "no sweep id in: $out"
echo "sweep $sweep: $total jobs, coordinator $addr"

# launch N [extra ablate workers launch flags...]: prints the array job id.
launch() {
  local n="$1"; shift
  local o
  o="$("$ablate" workers launch --slurm -n "$n" --coordinator "$addr" --gpus 1 --cpus 1 \
        --mem 200M --device cpu --worker-bin "$build/tests/ablate-test-worker" \
        --job-name "$job_name" --log-dir "$work/logs" --idle-exit-s 4 --startup-timeout-s 30 \
        --drain-grace-s 6 --grace-s 50 "$@" 2>&1)" || fail "launch: $o"
  echo "$o" >&2
  sed -n 's/^submitted worker array \([0-9]*\):.*/\1/p' <<<"$o"
}
counts() { "$ablate" status "$sweep" 2>/dev/null | sed -n 's/.*jobs: \(.*\)/\1/p'; }
succeeded() { counts | sed -n 's/.* \([0-9]*\) succeeded.*/\1/p'; }
failed() { counts | sed -n 's/.* \([0-9]*\) failed.*/\1/p'; }
wait_for() {  # wait_for SECONDS CONDITION...: polls every 0.5 s
  local limit=$(($1 * 2)); shift
  for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.5; done
  return 1
}
done_() { [[ "$(succeeded)" == "$total" ]]; }
at_least() { (( $(succeeded) >= $1 )); }
no_tasks() { [[ -z "$(squeue -h -r --name="$job_name" -o %i 2>/dev/null)" ]]; }
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
exactly_once() {
  local q
  q="$(sqlite3 "$work/ablate.db" "SELECT (SELECT COUNT(*) FROM jobs WHERE sweep_id=$sweep),
        (SELECT COUNT(*) FROM job_results WHERE sweep_id=$sweep),
        (SELECT COUNT(DISTINCT job_id) FROM job_results WHERE sweep_id=$sweep),
        (SELECT MAX(counted_attempts) FROM jobs WHERE sweep_id=$sweep)")"
  # counted_attempts counts failures only: drains, requeues and lost leases are not failures.
  [[ "$q" == "$total|$total|$total|0" ]] ||
    fail "want $total jobs, $total results (one per job), no counted (failed) attempt; got jobs|results|distinct|max_counted = $q"
  [[ "$(failed)" == 0 ]] || fail "failed jobs: $(counts)"
  echo "exactly once: $q ($(counts))"
}

case "$case" in
array)
  # Two workers, one fake GPU each, run the whole sweep; each sees exactly one
  # GPU and the two see different ones; both end COMPLETED with exit 0.
  job="$(launch 2 --worker-arg=--sleep-ms=300)"
  [[ -n "$job" ]] || fail "no job id"
  wait_for 90 done_ || fail "sweep did not finish: $(counts)"
  exactly_once
  wait_for 30 no_tasks || fail "workers did not exit after the sweep (idle exit)"
  seen=""
  for t in 0 1; do
    log="$work/logs/$job_name-${job}_$t.out"
    gpu="$(sed -n 's/.*device cpu (CUDA_VISIBLE_DEVICES=\([^)]*\)).*/\1/p' "$log" | head -1)"
    [[ "$gpu" =~ ^[0-9]+$ ]] || fail "task $t: want one visible GPU, got '$gpu'"
    seen+="$gpu "
    [[ "$(job_state "${job}_$t")" == COMPLETED ]] || fail "task $t: $(job_state "${job}_$t")"
    grep -q "exited with code 0" "$log" || fail "task $t: no clean exit in its log"
  done
  [[ "$seen" == "0 1 " || "$seen" == "1 0 " ]] || fail "both workers saw the same GPU: $seen"
  echo "GPUs per worker: $seen"
  ;;
scancel)
  # scancel of the whole array mid-sweep: workers drain (their running job
  # finishes or is handed back), nothing is failed; a second launch finishes.
  job="$(launch 2 --worker-arg=--sleep-ms=1500)"
  wait_for 60 at_least 2 || fail "no progress: $(counts)"
  scancel "$job" || fail "scancel"
  wait_for 40 no_tasks || fail "cancelled workers did not end"
  s1="$(succeeded)"
  ((s1 < total)) || fail "the sweep finished before scancel took effect; make the jobs slower"
  grep -q "draining" "$work"/logs/*.out || fail "no drain in the worker logs"
  echo "after scancel: $(counts)"
  launch 2 --worker-arg=--sleep-ms=100 >/dev/null
  wait_for 90 done_ || fail "relaunch did not finish: $(counts)"
  exactly_once
  ;;
timelimit)
  # One worker with a 1-minute limit and --signal=B:TERM@50 (slurmctld checks
  # time limits every ~30 s, so the signal comes 10-40 s in): Slurm signals the
  # batch shell, which forwards it; the worker drains and its running job
  # (5 s < 6 s grace) finishes and is reported; the task ends before the
  # limit (9 jobs x 5 s outlast the signal); a second launch finishes the sweep.
  job="$(launch 1 --time 1 --worker-arg=--sleep-ms=5000)"
  wait_for 100 no_tasks || fail "the worker did not end at its time limit"
  log="$work/logs/$job_name-${job}_0.out"
  grep -q "SIGTERM: draining" "$log" || fail "no drain signal before the time limit"
  st="$(job_state "${job}_0")"
  [[ "$st" == COMPLETED || "$st" == TIMEOUT ]] || fail "worker task ended $st"
  echo "after the time limit: $(counts) (task $st)"
  launch 2 --worker-arg=--sleep-ms=100 >/dev/null
  wait_for 90 done_ || fail "relaunch did not finish: $(counts)"
  exactly_once
  ;;
requeue)
  # scontrol requeue of a running worker: it drains, Slurm puts the task back
  # to pending (it would start again after Slurm's requeue delay), and no job
  # is failed or counted twice. We cancel the requeued task and finish with a
  # fresh launch.
  job="$(launch 1 --worker-arg=--sleep-ms=2000)"
  wait_for 60 at_least 1 || fail "no progress: $(counts)"
  scontrol requeue "${job}_0" || fail "scontrol requeue"
  pending() { [[ "$(job_state "${job}_0")" == PENDING ]]; }
  wait_for 45 pending || fail "requeued task is $(job_state "${job}_0"), not PENDING"
  grep -q "SIGTERM: draining" "$work/logs/$job_name-${job}_0.out" || fail "no drain on requeue"
  [[ "$(failed)" == 0 ]] || fail "requeue counted as a failure: $(counts)"
  echo "after requeue: $(counts), task PENDING"
  scancel "$job"
  launch 2 --worker-arg=--sleep-ms=100 >/dev/null
  wait_for 90 done_ || fail "relaunch did not finish: $(counts)"
  exactly_once
  ;;
autoscale)
  # `ablate workers autoscale --slurm --max 2 --until-done`: submits workers
  # for the queue (never more than 2 tasks), and exits once the sweep is done
  # and the workers ended (idle exit).
  "$ablate" workers autoscale --slurm --coordinator "$addr" --max 2 --interval-s 2 \
    --scale-down-after 2 --until-done --gpus 1 --cpus 1 --mem 200M --device cpu \
    --worker-bin "$build/tests/ablate-test-worker" --worker-arg=--sleep-ms=300 \
    --job-name "$job_name" --log-dir "$work/logs" --idle-exit-s 4 --startup-timeout-s 30 \
    --drain-grace-s 6 --grace-s 50 >"$work/autoscale.log" 2>&1 &
  scaler=$!
  most=0
  for _ in $(seq 1 180); do
    n="$(squeue -h -r --name="$job_name" -o %i 2>/dev/null | wc -l)"
    ((n > most)) && most=$n
    kill -0 "$scaler" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$scaler" 2>/dev/null; then kill -TERM "$scaler"; fail "autoscale did not end: $(tail -5 "$work/autoscale.log")"; fi
  wait "$scaler" || fail "autoscale exited $?: $(tail -5 "$work/autoscale.log")"
  cat "$work/autoscale.log"
  ((most >= 1 && most <= 2)) || fail "want 1..2 worker tasks at a time, saw $most"
  grep -q "submitted" "$work/autoscale.log" || fail "autoscale submitted nothing"
  done_ || fail "sweep not done: $(counts)"
  exactly_once
  ;;
*) echo "unknown case $case"; exit 2 ;;
esac
echo "PASS ($case)"
