#!/usr/bin/env bash
# A one-node SLURM cluster on 127.0.0.1 for Zoo's tests: munged, slurmctld and slurmd run in a
# private directory (no systemd, nothing under /etc or /run), every daemon bound to the loopback
# address, and stopped by the process ids recorded when they started.
#
#   scripts/slurm-local.sh install             installs slurm-wlm and munge (Debian/Ubuntu) if missing
#   eval "$(scripts/slurm-local.sh start DIR)" starts the cluster; prints `export SLURM_CONF=...`
#   scripts/slurm-local.sh stop DIR            cancels its jobs, stops the daemons, removes DIR
#
# Needs root (slurmd starts jobs as their user). Ports 16817/16818, not SLURM's 6817/6818, so a
# real cluster on the same machine is left alone. Why each setting: docs/CLUSTER.md.
set -euo pipefail

command=${1:-}
dir=${2:-}
log() { echo "[slurm-local] $*" >&2; }
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install() {
    local missing=()
    for binary in munged mungekey slurmctld slurmd sbatch squeue scancel; do
        command -v "$binary" >/dev/null 2>&1 || missing+=("$binary")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || { log "missing ${missing[*]} and no apt-get: install SLURM and munge"; return 1; }
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    log "installing slurm-wlm and munge (missing: ${missing[*]})"
    # Debian's postinst asks systemd to start the packaged units; without systemd that is
    # refused, which is harmless: the units are never used.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        slurm-wlm slurmctld slurmd slurm-client munge >/dev/null
}

stop() {
    [ -n "$dir" ] || { log "usage: $0 stop DIR"; exit 2; }
    export SLURM_CONF=$dir/etc/slurm.conf
    if running "$dir/run/slurmctld.pid"; then
        # Jobs first, so that no job step outlives the daemons that track it.
        local jobs
        jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [ -n "${jobs// /}" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            for _ in $(seq 1 60); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.5; done
        fi
    fi
    # The SLURM daemons need munge while they shut down, so munged goes last.
    for group in "slurmd slurmctld" "munged"; do
        local pids=()
        for name in $group; do
            local file=$dir/run/$name.pid
            if running "$file"; then
                pids+=("$(cat "$file")")
                kill -TERM "$(cat "$file")" 2>/dev/null || true
            fi
            rm -f "$file"
        done
        for _ in $(seq 1 50); do
            local left=0
            for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
            [ $left -eq 0 ] && break
            sleep 0.2
        done
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
    done
    rm -rf "$dir"
}

fail() {
    log "$*"
    for file in "$dir"/log/*.log; do [ -f "$file" ] && { echo "--- $file" >&2; tail -n 20 "$file" >&2; }; done
    stop
    exit 1
}

start() {
    [ -n "$dir" ] || { log "usage: $0 start DIR"; exit 2; }
    [ "$(id -u)" -eq 0 ] || { log "needs root: slurmd starts each job as its user"; exit 1; }
    [ -d "$dir/run" ] && stop
    mkdir -p "$dir"/{etc,state,spool,run,log,munge}
    # munged refuses a key readable by others and a group-writable directory on its path.
    chmod 0755 "$dir" "$dir"/{etc,state,spool,run,log}
    chmod 0711 "$dir/munge"
    local socket=$dir/munge/munge.socket
    mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024 >&2
    chmod 0400 "$dir/munge/munge.key"
    setsid munged --foreground --force --socket="$socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid.internal" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/munged.out" 2>&1 &
    echo $! >"$dir/run/munged.pid"
    for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
    munge -n -S "$socket" | unmunge -S "$socket" >/dev/null 2>&1 || fail "munge does not answer on $socket"

    local cpus memory
    cpus=$(nproc)
    memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
    cat >"$dir/etc/slurm.conf" <<EOF
ClusterName=zootest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid.internal
SlurmdPidFile=$dir/run/slurmd.pid.internal
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$dir/etc/slurm.conf
    setsid slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
    echo $! >"$dir/run/slurmctld.pid"
    for _ in $(seq 1 100); do
        scontrol ping 2>/dev/null | grep -q UP && break
        running "$dir/run/slurmctld.pid" || fail "slurmctld exited"
        sleep 0.2
    done
    # The machine's host name is not the node's name: slurmd is told which node it is.
    setsid slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
    echo $! >"$dir/run/slurmd.pid"
    for _ in $(seq 1 120); do
        running "$dir/run/slurmd.pid" || fail "slurmd exited"
        case "$(sinfo -h -n localhost -o %T 2>/dev/null || true)" in idle*) echo "export SLURM_CONF=$SLURM_CONF"; return 0 ;; esac
        sleep 0.5
    done
    fail "the node did not become idle within 60 s"
}

case "$command" in
install) install ;;
start) start ;;
stop) stop ;;
*) log "usage: $0 install | start DIR | stop DIR"; exit 2 ;;
esac
