#!/usr/bin/env bash
# slurm_up.sh STATE_DIR: brings up a real single-node Slurm (slurmctld +
# slurmd, Debian 12's Slurm 22.05) for the `slurm` CTest label, as a fixture:
#   - installs slurmctld slurmd slurm-client munge if missing (root, apt);
#   - writes STATE_DIR/slurm.conf + gres.conf: auth/none, cons_tres, two fake
#     GPUs (gres.conf File= symlinks to /dev/null), everything on 127.0.0.1;
#   - starts both daemons (pid files in STATE_DIR) and waits for the node;
#   - writes STATE_DIR/env (export SLURM_CONF=...) for the tests.
# Stop with slurm_down.sh STATE_DIR. Where the machine cannot run slurmd (not
# root, no apt, daemons do not come up) it writes STATE_DIR/skip with the
# reason and exits 0: the tests then skip with that message.
set -uo pipefail
state="${1:?usage: slurm_up.sh STATE_DIR}"
rm -rf "$state"
mkdir -p "$state/spool/ctld" "$state/spool/d" "$state/log"
skip() {
  echo "$*" >"$state/skip"
  echo "slurm_up: SKIP: $*"
  exit 0
}
[[ "$(id -u)" -eq 0 ]] || skip "not root: slurmd needs root to run jobs as the submitting user"

missing=()
for p in slurmctld slurmd slurm-client munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slurm_up: installing ${missing[*]}"
  command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}") >"$state/log/apt.log" 2>&1 ||
    skip "could not install ${missing[*]} (see $state/log/apt.log)"
fi
for b in slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  command -v "$b" >/dev/null || skip "$b not found after installing Slurm"
done

cpus="$(nproc)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 7 / 10 ))
for i in 0 1; do ln -sf /dev/null "$state/fakegpu$i"; done
cat >"$state/slurm.conf" <<CONF
# Written by tests/slurm/slurm_up.sh: a single-node test cluster on loopback.
ClusterName=ablatetest
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
KillWait=30
MinJobAge=600
DefMemPerCPU=256
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat >"$state/gres.conf" <<CONF
AutoDetect=off
Name=gpu File=$state/fakegpu0
Name=gpu File=$state/fakegpu1
CONF
echo "export SLURM_CONF=$state/slurm.conf" >"$state/env"
export SLURM_CONF="$state/slurm.conf"

slurmctld -f "$SLURM_CONF" >"$state/log/slurmctld.start" 2>&1 ||
  skip "slurmctld did not start: $(tail -3 "$state/log/slurmctld.start" "$state/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
sleep 2
slurmd -f "$SLURM_CONF" -N localhost >"$state/log/slurmd.start" 2>&1 ||
  skip "slurmd did not start: $(tail -3 "$state/log/slurmd.start" "$state/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
for _ in $(seq 1 60); do
  node="$(sinfo -h -o %T 2>/dev/null | head -1)"
  [[ "$node" == idle ]] && { echo "slurm_up: node idle ($cpus CPUs, ${mem_mb} MB, 2 fake GPUs) in $state"; exit 0; }
  sleep 0.5
done
echo "slurm_up: node state '${node:-none}' after 30 s; slurmctld/slurmd logs:"
tail -20 "$state/log/slurmctld.log" "$state/log/slurmd.log" 2>/dev/null
skip "the Slurm node did not become idle (state '${node:-none}'); see $state/log"
