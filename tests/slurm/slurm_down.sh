#!/usr/bin/env bash
# slurm_down.sh STATE_DIR: cancels every job of the test cluster and stops the
# slurmd and slurmctld that slurm_up.sh started (by the PIDs in their pid files).
set -uo pipefail
state="${1:?usage: slurm_down.sh STATE_DIR}"
[[ -f "$state/env" ]] || exit 0
# shellcheck disable=SC1091
source "$state/env"
scancel --full --signal=KILL --partition=debug >/dev/null 2>&1 || true
for d in slurmd slurmctld; do
  pid="$(cat "$state/$d.pid" 2>/dev/null)"
  [[ -n "$pid" ]] || continue
  kill -TERM "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
done
echo "slurm_down: stopped"
