#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the tests and for trying sweeps before a real site:
#
#   bash tools/slurm_local.sh up       install Debian's slurmctld slurmd slurm-client munge when missing (root),
#                                      write slurm.conf for this machine, start munged, slurmctld and slurmd,
#                                      wait until the node is idle
#   bash tools/slurm_local.sh status   the daemons this script started and the node's state (exit 0: up, 1: not)
#   bash tools/slurm_local.sh down     cancel the jobs left, stop exactly the daemons it started (their pidfiles)
#
# Everything lives in $LDRLD_SLURM_DIR (default /tmp/ldrld-slurm): slurm.conf, state and spool folders, the
# daemons' logs and pidfiles. /etc/slurm/slurm.conf becomes a link to that slurm.conf (so sbatch, squeue and
# submitit find it) unless a slurm.conf of another cluster is already there, which is refused. One node (this
# machine's CPUs and memory, from `slurmd -C`), one partition `debug`, proctrack/linuxproc, no systemd, no
# accounting; every address is 127.0.0.1. See docs/sweeps.md.
set -euo pipefail

DIR=${LDRLD_SLURM_DIR:-/tmp/ldrld-slurm}
CONF=$DIR/slurm.conf
SYSCONF=/etc/slurm/slurm.conf
MARK="# written by ldrld tools/slurm_local.sh"
PARTITION=debug
NODE=$(hostname -s)

say() { echo "slurm_local: $*"; }
die() {
    echo "slurm_local: $1" >&2
    exit "${2:-1}"
}

need_root() {
    [ "$(id -u)" = 0 ] || die "'$1' needs root (it installs packages with apt-get and starts Slurm's daemons as root); run it as root or with sudo" 2
}

alive() { # alive PIDFILE NAME: the pid in PIDFILE runs a process called NAME
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    [ ${#missing[@]} = 0 ] && return 0
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_conf() {
    local hw cpus mem
    hw=$(slurmd -C | head -1)
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
    mkdir -p "$DIR/state" "$DIR/spool"
    cat >"$CONF" <<EOF
$MARK
ClusterName=ldrld
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mkdir -p /etc/slurm
    if [ -e "$SYSCONF" ] && ! grep -qF "$MARK" "$SYSCONF"; then
        die "$SYSCONF belongs to another cluster; this script leaves it alone (stop here, or move it away first)" 2
    fi
    ln -sf "$CONF" "$SYSCONF"
}

start_munge() {
    if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then
        return 0 # a munged already answers (not ours: down leaves it running)
    fi
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key; else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        fi
    fi
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge
    chmod 755 /run/munge
    mkdir -p "$DIR/munge" && chown munge:munge "$DIR/munge"
    runuser -u munge -- munged --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log"
    for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && return 0 || sleep 0.1; done
    die "munged did not answer within 5 s (log: $DIR/munge/munged.log)"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1; }

up() {
    need_root up
    if alive "$DIR/slurmctld.pid" slurmctld && alive "$DIR/slurmd.pid" slurmd; then
        say "already up ($(node_state)); $CONF"
        return 0
    fi
    stop "$DIR/slurmd.pid" slurmd # half of an earlier cluster: start afresh
    stop "$DIR/slurmctld.pid" slurmctld
    install_packages
    mkdir -p "$DIR"
    rm -rf "$DIR/state" "$DIR/spool" # a fresh cluster: no jobs of an earlier one
    write_conf
    start_munge
    alive "$DIR/slurmctld.pid" slurmctld || slurmctld -f "$CONF"
    alive "$DIR/slurmd.pid" slurmd || slurmd -f "$CONF"
    local state=""
    for _ in $(seq 120); do
        state=$(node_state)
        case $state in
        idle | mixed | allocated) break ;;
        down* | drain*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
        esac
        sleep 0.5
    done
    case $state in
    idle | mixed | allocated) say "up: node $NODE $state, partition $PARTITION; $CONF (logs in $DIR)" ;;
    *) die "node $NODE is '${state:-unknown}' after 60 s (logs: $DIR/slurmctld.log, $DIR/slurmd.log)" ;;
    esac
}

stop() { # stop PIDFILE NAME
    alive "$1" "$2" || {
        rm -f "$1"
        return 0
    }
    local pid
    pid=$(cat "$1")
    kill -TERM "$pid"
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -KILL "$pid"
    rm -f "$1"
    say "stopped $2 ($pid)"
}

down() {
    need_root down
    if alive "$DIR/slurmctld.pid" slurmctld; then
        local jobs
        jobs=$(squeue -h -o %A 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            for _ in $(seq 100); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.1; done
        fi
    fi
    stop "$DIR/slurmd.pid" slurmd
    stop "$DIR/slurmctld.pid" slurmctld
    stop "$DIR/munge/munged.pid" munged # only when this script started it
    if [ -L "$SYSCONF" ] && [ "$(readlink "$SYSCONF")" = "$CONF" ]; then rm -f "$SYSCONF"; fi
    say "down"
}

status() {
    local code=0 name
    for name in munge/munged slurmctld slurmd; do
        if alive "$DIR/$name.pid" "${name#*/}"; then say "${name#*/} running (pid $(cat "$DIR/$name.pid"))"; else
            say "${name#*/} not started by this script"
            [ "$name" = munge/munged ] || code=1
        fi
    done
    [ $code = 0 ] && say "node $NODE: $(node_state), partition $PARTITION; $CONF"
    return $code
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*) die "usage: tools/slurm_local.sh up|down|status (got '${1:-}')" 2 ;;
esac
