#!/usr/bin/env bash
# A throw-away one-node Slurm cluster on this machine, for the tests.
#
#   tests/slurm_cluster.sh start DIR    install slurm + munge if missing, start
#                                       munged, slurmctld and slurmd (no systemd),
#                                       wait until the node is idle, then print
#                                       `export SLURM_CONF=DIR/slurm.conf`
#   tests/slurm_cluster.sh stop DIR     cancel every job, stop the daemons started
#                                       from DIR by PID, wait until none is left
#   tests/slurm_cluster.sh status DIR   exit 0 when the cluster of DIR is up
#
# Everything lives under DIR: slurm.conf, the munge socket and key copy, state,
# spool, logs, pid files. Must run as root. `start` first stops whatever an
# earlier `start DIR` left running. Typical use:
#
#   dir=$(mktemp -d); eval "$(tests/slurm_cluster.sh start "$dir")"
#   trap 'tests/slurm_cluster.sh stop "$dir"' EXIT
#
# Environment (all optional):
#   SLURM_CLUSTER_CRED_EXPIRE  AuthInfo cred_expire in seconds (default 10). Slurm
#                              holds a requeued job until now + cred_expire (its
#                              default is 120 s); a short one lets requeue tests
#                              restart within seconds. "default" leaves it out.
#   SLURM_CLUSTER_PORT         slurmctld port (default: the first free of 6817..);
#                              slurmd takes the next free one.
#   SLURM_CLUSTER_TIMEOUT      seconds to wait for the node to be idle (default 60)
#
# Messages go to stderr; stdout carries only the export line, so
# `eval "$(tests/slurm_cluster.sh start DIR)"` works.

set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

say() { printf 'slurm_cluster: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------- processes

# alive PID: the process exists and is not a zombie
alive() {
    local pid=$1 state
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/stat ]] || return 1
    state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# cmdline_has PID STRING: the process's command line contains STRING
cmdline_has() {
    local pid=$1 s=$2 cmd
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$s"* ]]
}

# pids of processes named NAME (comm) whose command line mentions STRING
pids_of() {
    local name=$1 s=$2 p pid
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ $(cat "$p/comm" 2>/dev/null) == "$name" ]] || continue
        cmdline_has "$pid" "$s" && alive "$pid" && echo "$pid"
    done
}

# descendants of PID (children first discovered breadth-first), not PID itself
descendants() {
    local queue=("$1") cur p ppid
    local -a all=()
    while ((${#queue[@]})); do
        cur=${queue[0]}; queue=("${queue[@]:1}")
        for p in /proc/[0-9]*; do
            ppid=$(awk '{ sub(/^.*\) /, ""); print $2 }' "$p/stat" 2>/dev/null) || continue
            if [[ $ppid == "$cur" ]]; then
                all+=("${p#/proc/}"); queue+=("${p#/proc/}")
            fi
        done
    done
    [[ ${#all[@]} -gt 0 ]] && printf '%s\n' "${all[@]}"
    return 0
}

# stop_pids GRACE WHAT PID...: SIGTERM, wait up to GRACE seconds, then SIGKILL
# and wait up to 5 s more
stop_pids() {
    local grace=$1 what=$2; shift 2
    local pid i live=() left=()
    for pid in "$@"; do alive "$pid" && live+=("$pid"); done
    ((${#live[@]})) || return 0
    say "stopping $what (pid ${live[*]})"
    kill -TERM "${live[@]}" 2>/dev/null
    for ((i = 0; i < grace * 10 + 50; i++)); do
        left=()
        for pid in "${live[@]}"; do alive "$pid" && left+=("$pid"); done
        ((${#left[@]})) || return 0
        if ((i == grace * 10)); then
            say "$what still alive after $grace s: SIGKILL ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null
        fi
        sleep 0.1
    done
    say "warning: $what pid ${left[*]} would not die"
    return 1
}

# ---------------------------------------------------------------- install

ensure_packages() {
    local need=() cmd
    for cmd in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client srun:slurm-client munged:munge; do
        command -v "${cmd%%:*}" >/dev/null 2>&1 || need+=("${cmd#*:}")
    done
    ((${#need[@]})) || return 0
    mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${need[@]}" >&2; then
        say "install failed; apt-get update and retry"
        apt-get update -q >&2 || true
        apt-get install -y -q "${need[@]}" >&2 || die "cannot install ${need[*]}"
    fi
}

ensure_munge_key() {
    local key=/etc/munge/munge.key
    [[ -s $key ]] && return 0
    say "creating $key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$key" --force >&2 || die "mungekey failed"
    else
        dd if=/dev/urandom of="$key" bs=1 count=1024 status=none || die "cannot write $key"
    fi
    chown munge:munge "$key" 2>/dev/null || true
    chmod 0400 "$key"
}

# ---------------------------------------------------------------- ports

port_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

free_port_from() {
    local p=$1 skip=${2:-}
    while ((p < 65000)); do
        if [[ $p != "$skip" ]] && port_free "$p"; then echo "$p"; return 0; fi
        ((p++))
    done
    return 1
}

# ---------------------------------------------------------------- config

write_conf() {
    local dir=$1 ctld_port=$2 slurmd_port=$3
    local host cpus mem_kb mem_mb cred
    host=$(hostname -s)
    cpus=$(nproc)
    mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
    mem_mb=$((mem_kb * 90 / 100 / 1024))   # a bit under the machine's
    cred=${SLURM_CLUSTER_CRED_EXPIRE:-10}
    if [[ $cred == default ]]; then cred=""; else cred=",cred_expire=$cred"; fi
    cat >"$dir/slurm.conf" <<EOF
# written by tests/slurm_cluster.sh: a one-node test cluster on localhost
ClusterName=sweeptest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job is held before it may start again
AuthInfo=socket=$dir/munge/munge.socket.2$cred
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobRequeue=1
KillWait=5
MinJobAge=600
InactiveLimit=0
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# ---------------------------------------------------------------- start / stop

stop_cluster() {
    local dir=$1 conf=$1/slurm.conf sock=$1/munge/munge.socket.2 pid jobs i
    local -a ctld=() slurmd=() munged=() steps=() tree=()

    # recorded pids (pid files and our own list) plus anything whose command
    # line names this DIR's files
    mapfile -t ctld < <({ cat "$dir/run/slurmctld.pid" 2>/dev/null; pids_of slurmctld "$conf"; } | sort -u)
    mapfile -t slurmd < <({ cat "$dir/run/slurmd.pid" 2>/dev/null; pids_of slurmd "$conf"; } | sort -u)
    mapfile -t munged < <({ cat "$dir/munge/munged.pid" 2>/dev/null; pids_of munged "$sock"; } | sort -u)
    # keep only live processes with the right name (a stale pid file may name
    # a reused pid)
    local -a c2=() d2=() m2=()
    for pid in "${ctld[@]}"; do alive "$pid" && [[ $(cat /proc/"$pid"/comm 2>/dev/null) == slurmctld ]] && c2+=("$pid"); done
    for pid in "${slurmd[@]}"; do alive "$pid" && [[ $(cat /proc/"$pid"/comm 2>/dev/null) == slurmd ]] && d2+=("$pid"); done
    for pid in "${munged[@]}"; do alive "$pid" && [[ $(cat /proc/"$pid"/comm 2>/dev/null) == munged ]] && m2+=("$pid"); done

    # cancel jobs while the controller is up, so slurmstepd ends the tasks
    if ((${#c2[@]})) && [[ -r $conf ]]; then
        jobs=$(SLURM_CONF=$conf timeout 10 squeue -h -o %A 2>/dev/null | tr '\n' ' ')
        if [[ -n ${jobs// /} ]]; then
            say "cancelling jobs $jobs"
            # shellcheck disable=SC2086
            SLURM_CONF=$conf timeout 10 scancel $jobs 2>/dev/null
            for ((i = 0; i < 150; i++)); do
                [[ -z $(SLURM_CONF=$conf timeout 5 squeue -h -t R,CG,CF,S -o %A 2>/dev/null) ]] && break
                sleep 0.1
            done
        fi
    fi

    # slurmstepd processes (and what they run) left by this slurmd: they are
    # children of slurmd that reparent to init; they inherit SLURM_CONF=DIR's
    for pid in $(pids_of slurmstepd ""); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then
            steps+=("$pid")
        fi
    done
    for pid in "${d2[@]}"; do
        for i in $(descendants "$pid"); do [[ $(cat /proc/"$i"/comm 2>/dev/null) == slurmstepd ]] && steps+=("$i"); done
    done
    if ((${#steps[@]})); then
        mapfile -t steps < <(printf '%s\n' "${steps[@]}" | sort -u)
        for pid in "${steps[@]}"; do mapfile -t -O "${#tree[@]}" tree < <(descendants "$pid"); done
    fi

    # what is left of jobs is an orphan of a dead or stopping cluster: short grace
    stop_pids 15 slurmd "${d2[@]}"
    ((${#tree[@]})) && stop_pids 2 "job processes" "${tree[@]}"
    stop_pids 2 slurmstepd "${steps[@]}"
    stop_pids 15 slurmctld "${c2[@]}"
    stop_pids 15 munged "${m2[@]}"
    rm -f "$dir/run/slurmctld.pid" "$dir/run/slurmd.pid" "$dir/munge/munged.pid"
    return 0
}

show_logs() {
    local dir=$1 f
    for f in "$dir/munge/munged.log" "$dir/log/slurmctld.log" "$dir/log/slurmd.log" \
             "$dir/log/slurmctld.out" "$dir/log/slurmd.out"; do
        [[ -s $f ]] || continue
        echo "----- $f (last 40 lines)" >&2
        tail -n 40 "$f" >&2
    done
}

# wait_pidfile FILE SECONDS: until FILE names a live process
wait_pidfile() {
    local f=$1 n=$(($2 * 10)) i
    for ((i = 0; i < n; i++)); do
        [[ -s $f ]] && alive "$(cat "$f")" && return 0
        sleep 0.1
    done
    return 1
}

start_cluster() {
    local dir=$1 t0 conf sock ctld_port slurmd_port i state timeout
    t0=$(date +%s.%N)
    [[ $(id -u) == 0 ]] || die "must run as root"
    ensure_packages
    ensure_munge_key

    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd -P)
    conf=$dir/slurm.conf
    sock=$dir/munge/munge.socket.2

    stop_cluster "$dir"    # whatever an earlier start left running
    rm -rf "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
    mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
    # munged wants its socket directory reachable by everyone (execute bit on
    # every parent); it is told --force below for parents it cannot fix
    chmod go+x "$dir" 2>/dev/null
    chmod 0755 "$dir/munge"

    # munged as root with a root-owned copy of the key: munged insists that the
    # key belongs to the user it runs as
    install -m 0400 -o root -g root /etc/munge/munge.key "$dir/munge/munge.key" || die "cannot copy the munge key"
    munged --force --socket="$sock" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" >"$dir/log/munged.out" 2>&1 \
        || { show_logs "$dir"; die "munged did not start"; }
    wait_pidfile "$dir/munge/munged.pid" 10 || { show_logs "$dir"; die "munged did not start"; }
    munge -S "$sock" -n 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1 \
        || { show_logs "$dir"; stop_cluster "$dir"; die "munge round trip failed"; }

    ctld_port=${SLURM_CLUSTER_PORT:-$(free_port_from 6817)} || die "no free port"
    slurmd_port=$(free_port_from $((ctld_port + 1)) "$ctld_port") || die "no free port"
    write_conf "$dir" "$ctld_port" "$slurmd_port"
    export SLURM_CONF=$conf

    # both daemons fork into the background and write their pid files
    slurmctld -f "$conf" -i >"$dir/log/slurmctld.out" 2>&1 \
        || { show_logs "$dir"; stop_cluster "$dir"; die "slurmctld did not start"; }
    wait_pidfile "$dir/run/slurmctld.pid" 20 || { show_logs "$dir"; stop_cluster "$dir"; die "slurmctld did not start"; }
    slurmd -f "$conf" -N "$(hostname -s)" >"$dir/log/slurmd.out" 2>&1 \
        || { show_logs "$dir"; stop_cluster "$dir"; die "slurmd did not start"; }
    wait_pidfile "$dir/run/slurmd.pid" 20 || { show_logs "$dir"; stop_cluster "$dir"; die "slurmd did not start"; }

    timeout=${SLURM_CLUSTER_TIMEOUT:-60}
    for ((i = 0; i < timeout * 5; i++)); do
        state=$(timeout 5 sinfo -h -o %T 2>/dev/null | head -n 1)
        [[ $state == idle ]] && break
        sleep 0.2
    done
    if [[ $state != idle ]]; then
        say "node not idle after ${timeout} s (state: ${state:-none})"
        timeout 5 sinfo -N -l >&2 2>&1
        show_logs "$dir"
        stop_cluster "$dir"
        die "cluster did not come up"
    fi
    say "cluster up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s:" \
        "slurmctld pid $(cat "$dir/run/slurmctld.pid") port $ctld_port," \
        "slurmd pid $(cat "$dir/run/slurmd.pid") port $slurmd_port," \
        "munged pid $(cat "$dir/munge/munged.pid")"
    printf 'export SLURM_CONF=%q\n' "$conf"
}

status_cluster() {
    local dir=$1
    [[ -r $dir/slurm.conf ]] || return 1
    [[ $(SLURM_CONF=$dir/slurm.conf timeout 5 sinfo -h -o %T 2>/dev/null | head -n 1) =~ ^(idle|mixed|allocated) ]]
}

# ---------------------------------------------------------------- main

[[ $# -eq 2 ]] || usage
case $1 in
start)  start_cluster "$2" ;;
stop)   [[ $(id -u) == 0 ]] || die "must run as root"
        [[ -d $2 ]] || exit 0
        stop_cluster "$(cd "$2" && pwd -P)" ;;
status) status_cluster "$2" ;;
*)      usage ;;
esac
