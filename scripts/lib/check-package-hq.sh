#!/usr/bin/env bash
# Checks the .deb that scripts/package-hq built, the way a head office gets
# it: its control file and contents, both units through `systemd-analyze
# verify` and `security` (systemd need not be PID 1), then (as root, on a
# real PostgreSQL: run it under pg_virtualenv) install, the config file,
# the binary run as its unit runs it (its ExecStart, user, limits; healthy,
# ready, exit 0 on SIGTERM; under strace, every system call and socket
# family within the unit's filters), upgrade keeping an edited config,
# removal keeping it and purge deleting it.
# Usage: scripts/lib/check-package-hq.sh FILE.deb
set -euo pipefail
deb="$1"
fail() { echo "package check (hq): $*" >&2; exit 1; }
field() { dpkg-deb -f "$deb" "$1"; }
. "$(dirname "$0")/deb-libs.sh"
config=/etc/easyqr-hq/config.json

echo "==> package check (hq): control file"
[ "$(field Package)" = easyqr-hq ] || fail "Package is $(field Package)"
[ -n "$(field Version)" ] || fail "no Version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is $(field Architecture)"
depends="$(field Depends)"
for pkg in libc6 passwd; do
    grep -qE "(^|, )$pkg( |,|$)" <<<"$depends" || fail "Depends lacks $pkg: $depends"
done
tmp="$(mktemp -d)"
installed=""
cleanup() {
    [ -z "${hq_pid:-}" ] || kill -KILL "$hq_pid" 2>/dev/null || true
    [ -z "${job_pid:-}" ] || kill -KILL "$job_pid" 2>/dev/null || true
    # A failed check leaves the machine as it found it.
    [ -z "$installed" ] || dpkg -P easyqr-hq >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/DEBIAN"
bin=usr/bin/easyqr-hq
libs_in_depends "$tmp/root" "$bin" "$depends"
for script in postinst prerm postrm; do
    [ -x "$tmp/DEBIAN/$script" ] || fail "no $script"
    sh -n "$tmp/DEBIAN/$script" || fail "$script is not valid sh"
done
# Nothing under /etc is dpkg's: the config is postinst's and survives upgrades.
[ ! -e "$tmp/DEBIAN/conffiles" ] || fail "unexpected conffiles: $(cat "$tmp/DEBIAN/conffiles")"
[ -z "$(find "$tmp/root/etc" 2>/dev/null)" ] || fail "the package ships files under /etc"

echo "==> package check (hq): contents"
units="$tmp/root/usr/lib/systemd/system"
single="$units/easyqr-hq.service"
templated="$units/easyqr-hq@.service"
for f in "$single" "$templated" "$tmp/root/usr/share/doc/easyqr-hq/README.Debian" \
    "$tmp/root/usr/share/easyqr-hq/config.json"; do
    [ -f "$f" ] || fail "${f#"$tmp/root"} missing"
done
grep -qx 'ExecStart=/usr/bin/easyqr-hq --config /etc/easyqr-hq/config.json --addr 127.0.0.1:8800 --log-format json' "$single" ||
    fail "easyqr-hq.service does not serve 127.0.0.1:8800 from the config file"
grep -qx 'ExecStart=/usr/bin/easyqr-hq --config /etc/easyqr-hq/config.json --addr 127.0.0.1:%i --log-format json' "$templated" ||
    fail "easyqr-hq@.service does not serve its instance's port"
for setting in User=easyqr-hq NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
    ProtectControlGroups=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' RestrictNamespaces=yes \
    LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service CapabilityBoundingSet= \
    LimitNOFILE=65536 KillSignal=SIGTERM TimeoutStopSec=15 Restart=on-failure; do
    grep -qx "$setting" "$single" || fail "easyqr-hq.service lacks $setting"
done
# The two units differ in the port alone.
settings() { grep -v '^#' "$1" | sed "s/$2/PORT/g"; }
diff <(settings "$single" 8800) <(settings "$templated" %i) >/dev/null ||
    fail "the two units differ beyond the port: $(diff <(settings "$single" 8800) <(settings "$templated" %i))"
site="$(dirname "$0")/../../packaging/hq/nginx-site.conf"
if [ -f "$site" ]; then
    cmp -s "$site" "$tmp/root/usr/share/doc/easyqr-hq/examples/nginx-site.conf" ||
        fail "the nginx example is not packaging/hq/nginx-site.conf"
fi

echo "==> package check (hq): systemd-analyze verify and security"
# Offline, on a root holding this machine's units (the targets the units
# name) and the package's files (verify checks that ExecStart's binary is
# there). Any warning (an unknown key, a bad value) fails.
analyze="$tmp/analyze"
mkdir -p "$analyze/usr/lib/systemd/system"
for dir in /lib/systemd/system /usr/lib/systemd/system; do
    [ ! -d "$dir" ] || cp -a "$dir/." "$analyze/usr/lib/systemd/system/"
done
cp -a "$tmp/root/." "$analyze/"
# The hardening's measured exposure (README.md): a unit above it fails.
max_exposure=1.1
for unit in easyqr-hq.service easyqr-hq@8801.service; do
    out="$(systemd-analyze verify --man=no --root="$analyze" "$unit" 2>&1)" ||
        fail "systemd-analyze verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
    score="$(systemd-analyze security --offline=true --root="$analyze" --no-pager "$unit" 2>&1 |
        sed -n 's/^→ Overall exposure level for [^:]*: //p')"
    echo "    $unit: systemd-analyze security: $score"
    awk -v s="${score%% *}" -v max="$max_exposure" 'BEGIN { exit !(s != "" && s + 0 <= max + 0) }' ||
        fail "$unit: exposure ${score:-unknown}, above $max_exposure"
done

if [ "$(id -u)" -ne 0 ]; then
    echo "==> package check (hq): install cycle skipped (needs root)"
    exit 0
fi
[ -n "${PGHOST:-}" ] || fail "no PostgreSQL: run this under pg_virtualenv (as scripts/test does)"
echo "==> package check (hq): install an older version, run it as its unit does, upgrade, remove, purge"
[ ! -e "$config" ] && ! dpkg -s easyqr-hq >/dev/null 2>&1 ||
    fail "easyqr-hq is installed here already: purge it first (dpkg -P easyqr-hq)"
# The "older version": this package with a lower version number.
dpkg-deb -R "$deb" "$tmp/old"
sed -i 's/^Version: .*/Version: 0.0.1/' "$tmp/old/DEBIAN/control"
dpkg-deb -b --root-owner-group "$tmp/old" "$tmp/old.deb" >/dev/null
installed=1
dpkg -i "$tmp/old.deb" >/dev/null || apt-get -f install -y -qq
[ "$(dpkg-query -W -f='${Status}' easyqr-hq)" = "install ok installed" ] || fail "the install did not complete"
getent passwd easyqr-hq >/dev/null || fail "no user easyqr-hq"
[ "$(stat -c '%a %U %G' "$config")" = "600 easyqr-hq easyqr-hq" ] ||
    fail "$config is $(stat -c '%a %U %G' "$config"), not 600 easyqr-hq easyqr-hq"

# The unit's own ExecStart, instance 8801 (a port unlikely to be in use),
# as its user, without privileges, with its open-files limit.
port=8801
unit=/usr/lib/systemd/system/easyqr-hq@.service
read -ra exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$port/g")"
nofile="$(sed -n 's/^LimitNOFILE=//p' "$unit")"
[ ${#exec_start[@]} -gt 0 ] && [ -n "$nofile" ] || fail "no ExecStart or LimitNOFILE in $unit"
# A container may hold the hard limit below the unit's (and root unable to
# raise it): then that.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$nofile" ]; then
    echo "    open-files limit $(ulimit -Hn) (this machine's hard limit), not the unit's $nofile"
    nofile="$(ulimit -Hn)"
fi
# Starts HQ in the background: job_pid to wait for, hq_pid to signal.
# With "trace", under strace, whose log shows what the unit's sandbox
# (systemd is not here to apply it) would have to allow.
run_as_unit() {
    local tracer=()
    [ "${1:-}" != trace ] || tracer=(strace -f -qq -o "$tmp/hq.strace")
    # env, prlimit and setpriv each exec the next: without strace, $! is
    # HQ's own pid.
    env -i -C / PATH=/usr/bin:/bin \
        prlimit --nofile="$nofile:$nofile" -- "${tracer[@]}" \
        setpriv --reuid=easyqr-hq --regid=easyqr-hq --init-groups --no-new-privs \
        --bounding-set=-all --inh-caps=-all \
        "${exec_start[@]}" >"$tmp/hq.out" 2>"$tmp/hq.log" &
    job_pid=$!
    hq_pid=$job_pid
    if [ ${#tracer[@]} -gt 0 ]; then
        hq_pid=""
        for _ in $(seq 1 100); do
            hq_pid="$(tr -d ' ' <"/proc/$job_pid/task/$job_pid/children" 2>/dev/null || true)"
            [ -z "$hq_pid" ] || break
            sleep 0.05
        done
        [ -n "$hq_pid" ] || fail "HQ did not start under strace"
    fi
}
# Waits for HQ's exit, 15 s at most (the unit's TimeoutStopSec): status is
# its exit status, or "timeout".
wait_exit() {
    status=timeout
    for _ in $(seq 1 150); do
        if ! kill -0 "$job_pid" 2>/dev/null; then
            status=0
            wait "$job_pid" || status=$?
            job_pid=""
            hq_pid=""
            return
        fi
        sleep 0.1
    done
}

# The config as installed: HQ reads it (its owner, its mode, every field
# known) and names what the operator must add, exiting 2, which the unit
# does not restart (RestartPreventExitStatus=2).
grep -qx 'RestartPreventExitStatus=2' "$unit" || fail "$unit restarts on a configuration error"
run_as_unit
wait_exit
[ "$status" = 2 ] && grep -q 'webhookSecrets' "$tmp/hq.log" ||
    fail "HQ on the fresh config: status $status, $(cat "$tmp/hq.log")"

# The operator's edit: a database (on the pg_virtualenv cluster) and a
# webhook secret, written in place (the file keeps its owner and mode). The
# upgrade must keep it.
db="easyqr_hq_pkgcheck_$$"
psql -qAt -c "CREATE DATABASE $db" >/dev/null
trap 'cleanup; psql -qAt -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
printf '{"databaseUrl": "host=%s port=%s user=%s password=%s dbname=%s", "webhookSecrets": ["whsec_package_check"]}\n' \
    "$PGHOST" "${PGPORT:-5432}" "$PGUSER" "$PGPASSWORD" "$db" >"$config"
edited="$(sha256sum "$config")"

# The status of GET path on the instance's port (000: no answer).
http_status() {
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1" || true
}
# The unit's SystemCallFilter= lines as the system calls they allow: an
# allow list, then "~" lines that take calls out of it.
allowed_syscalls() {
    local line allow=() deny=()
    while read -r line; do
        case "$line" in
        '~'*) read -ra words <<<"${line#\~}"; deny+=("${words[@]}") ;;
        *) read -ra words <<<"$line"; allow+=("${words[@]}") ;;
        esac
    done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
    comm -23 <(expand_syscalls "${allow[@]}" | sort -u) <(expand_syscalls "${deny[@]}" | sort -u)
}
expand_syscalls() {
    local item
    for item in "$@"; do
        case "$item" in
        @*)
            # shellcheck disable=SC2046 # one system call or group a line
            expand_syscalls $(systemd-analyze syscall-filter --no-pager "$item" |
                sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p')
            ;;
        *) echo "$item" ;;
        esac
    done
}
# What HQ did (strace's log, from its exec on) against what the unit
# allows: its system calls, its socket families, no memory both writable
# and executable (MemoryDenyWriteExecute=).
check_sandbox() {
    local log="$1" families used denied
    sed -n '\|execve("/usr/bin/easyqr-hq"|,$p' "$log" | sed -E 's/^[0-9]+ +//' >"$tmp/hq.calls"
    used="$(sed -E -n 's/^<\.\.\. ([a-z0-9_]+) resumed>.*/\1/p; s/^([a-z0-9_]+)\(.*/\1/p' "$tmp/hq.calls" | sort -u)"
    [ -n "$used" ] || fail "strace saw no system call of HQ's"
    denied="$(comm -23 <(echo "$used") <(allowed_syscalls))"
    [ -z "$denied" ] || fail "HQ makes system calls its unit's SystemCallFilter= denies: $denied"
    families="$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")"
    for family in $(sed -n 's/^socket(\(AF_[A-Z0-9]*\),.*/\1/p' "$tmp/hq.calls" | sort -u); do
        grep -qw "$family" <<<"$families" || fail "HQ opens $family sockets, not in RestrictAddressFamilies=$families"
    done
    ! grep -E '^(mmap|mprotect)\(' "$tmp/hq.calls" | grep -q 'PROT_WRITE|PROT_EXEC\|PROT_EXEC|PROT_WRITE' ||
        fail "HQ maps memory writable and executable (MemoryDenyWriteExecute=yes)"
    echo "    $(wc -l <<<"$used") distinct system calls, all in the unit's filter"
}
start_and_stop() {
    run_as_unit "${1:-}"
    # Up (/healthz), then ready (/readyz: it reached the database through
    # the config file's URL, and its listener is on).
    local probe
    for probe in /healthz /readyz; do
        for _ in $(seq 1 300); do
            kill -0 "$job_pid" 2>/dev/null || fail "HQ exited: $(cat "$tmp/hq.log")"
            [ "$(http_status "$probe")" = 200 ] && break
            sleep 0.1
        done
        [ "$(http_status "$probe")" = 200 ] ||
            fail "HQ's $probe did not answer 200 on 127.0.0.1:$port: $(cat "$tmp/hq.log")"
    done
    # A little of everything else, for the trace: the metrics, the view's
    # sign-in page, a register without a token, an unsigned webhook.
    for probe in /metrics /login /api/register/events; do http_status "$probe" >/dev/null; done
    curl -s -o /dev/null -H 'content-type: application/json' -d '{}' "http://127.0.0.1:$port/elepay/webhook" || true
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$hq_pid/status")" = "$(id -u easyqr-hq)" ] ||
        fail "HQ does not run as easyqr-hq"
    grep -q '^{' "$tmp/hq.log" || fail "HQ's log is not JSON lines: $(head -3 "$tmp/hq.log")"
    kill -TERM "$hq_pid"
    wait_exit
    [ "$status" != timeout ] || fail "HQ was still running 15 s after SIGTERM"
    [ "$status" = 0 ] || fail "HQ exited with status $status after SIGTERM: $(tail -5 "$tmp/hq.log")"
    echo "    $(dpkg-query -W -f='${Version}' easyqr-hq): healthy and ready as easyqr-hq, exited $status on SIGTERM"
}
start_and_stop

dpkg -i "$deb" >/dev/null
[ "$(dpkg-query -W -f='${Version}' easyqr-hq)" = "$(field Version)" ] || fail "the upgrade did not take"
[ "$(sha256sum "$config")" = "$edited" ] || fail "the upgrade changed $config"
[ "$(stat -c '%a %U' "$config")" = "600 easyqr-hq" ] || fail "the upgrade changed $config's mode or owner"
if strace -qq -o /dev/null true 2>/dev/null; then
    start_and_stop trace
    check_sandbox "$tmp/hq.strace"
else
    # A container that forbids ptrace: the unit's filters were still
    # checked by systemd-analyze above.
    echo "package check (hq): strace cannot trace here (ptrace not permitted); sandbox comparison skipped" >&2
    start_and_stop
fi

dpkg -r easyqr-hq >/dev/null
[ ! -e /usr/bin/easyqr-hq ] || fail "easyqr-hq still installed after removal"
[ "$(sha256sum "$config" 2>/dev/null)" = "$edited" ] || fail "removal took or changed $config"
dpkg -P easyqr-hq >/dev/null
[ ! -e "$config" ] || fail "purge left $config"
[ ! -e /etc/easyqr-hq ] || fail "purge left /etc/easyqr-hq"
! getent passwd easyqr-hq >/dev/null || fail "purge left the user easyqr-hq"
installed=""
echo "==> package check (hq): ok"
