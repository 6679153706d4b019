#!/usr/bin/env bash
# The PhotoSync demo, run by `./dev demo` as `sample-host/demo.sh <build-dir>` after the build.
# Each step prints a heading and runs the real binaries — the sample host, the PhotoSync bundle it
# loads, and idp-sim standing in for Microsoft Entra ID / Graph on 127.0.0.1 — so what you see is
# what a host and an admin see. Nothing leaves the machine.
#
# The embedded default: idp-sim with 300 users (seed 1, a fifth without a photo), one Entra
# directory "Contoso", the host's User Photos switch and the page's "Sync user photos" on. A sync
# brings the photos into avatars, a second sync finds nothing changed, and the avatars are exported
# as image files. Everything lives under <build-dir>/demo, made anew on each run.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [--users N]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
shift
users=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users=${2:?--users needs a number}; shift 2 ;;
    *) echo "demo: unknown option $1 (usage: $0 <build-dir> [--users N])" >&2; exit 2 ;;
  esac
done

host="$build_dir/sample-host/sample-host"
sim="$build_dir/sample-host/idp-sim/idp-sim"
plugin_dir="$build_dir/plugins"
demo_dir="$build_dir/demo"
data="$demo_dir/data"
sim_pid=""

heading() {
  printf '\n== %s ==\n' "$*"
}

require_build() {
  local f
  for f in "$host" "$sim" "$plugin_dir/photosync/plugin.xml"; do
    if [[ ! -e "$f" ]]; then
      echo "demo: $f not found; build first (./dev demo does)" >&2
      exit 1
    fi
  done
}

stop_sim() {
  if [[ -n "$sim_pid" ]] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  sim_pid=""
}
trap stop_sim EXIT

# The host as an admin runs it, on the demo's data directory.
sh_host() {
  "$host" --data-dir "$data" "$@"
}

step_plugins() {
  heading "What the host sees: sample-host plugins --dir $plugin_dir"
  # Exit code 1 means a plugin was refused; the listing says why, and the demo stops there.
  "$host" plugins --dir "$plugin_dir"
}

# Reads one string field of idp-sim's /_admin/credentials JSON ("entra": {...}); the values are
# ids, a client secret and URLs, none of which holds a quote.
cred() {
  local json=$1 key=$2
  local v
  v=$(printf '%s' "$json" | tr -d '\n' | grep -o "\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n 1 |
    sed -e 's/^[^:]*:[[:space:]]*"//' -e 's/"$//')
  if [[ -z "$v" ]]; then
    echo "demo: idp-sim's credentials have no '$key'" >&2
    exit 1
  fi
  printf '%s' "$v"
}

step_start_sim() {
  heading "Start idp-sim: $users Entra users, 20% without a photo (Graph on 127.0.0.1)"
  rm -rf "$demo_dir"
  mkdir -p "$data/plugins"
  # Its first stdout line names the URL; that line, the rest, and the counters it prints at exit
  # go to a log the demo points at.
  local log="$demo_dir/idp-sim.log"
  "$sim" --users "$users" --seed 1 --no-photo-share 0.2 >"$log" 2>&1 &
  sim_pid=$!
  local first="" i
  for ((i = 0; i < 100; ++i)); do
    first=$(head -n 1 "$log")
    [[ $first == *"listening on "* ]] && break
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $first != *"listening on "* ]]; then
    echo "demo: idp-sim did not start; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  sim_url=${first##*listening on }
  echo "$first"
}

step_configure() {
  heading "Configure the host: the PhotoSync bundle, an Entra directory, the two switches"
  ln -s "$plugin_dir/photosync" "$data/plugins/photosync"
  local creds
  creds=$(curl -fsS "$sim_url/_admin/credentials")
  # The client secret goes in on stdin, as an admin would type it; it is never printed.
  cred "$creds" clientSecret | sh_host directory add --kind entra --name Contoso \
    --set "tenantId=$(cred "$creds" tenantId)" --set "clientId=$(cred "$creds" clientId)" \
    --set "authorityHost=$sim_url" --set "graphEndpoint=$sim_url" --secret clientSecret
  sh_host settings set userPhotos on
  sh_host settings set --plugin photosync --directory Contoso --page entra syncPhotos=true   # uses the directory's connection (host-api 1.3)
  heading "Test connection (the Entra page): token, one user, one photo"
  sh_host settings test --plugin photosync --directory Contoso --page entra
}

step_sync() {
  heading "$1: sample-host sync"
  sh_host sync
}

step_export() {
  local out="$demo_dir/avatars"
  heading "Export the avatars: sample-host avatars export $out"
  # One line per file goes to a list beside the folder; the summary line is shown.
  sh_host avatars export "$out" >"$demo_dir/avatars.txt"
  tail -n 1 "$demo_dir/avatars.txt"
  echo "Open them with any image viewer; $demo_dir/avatars.txt lists which file is whose."
}

main() {
  require_build
  step_plugins
  step_start_sim
  step_configure
  step_sync "First sync: every photo is new"
  step_sync "Second sync: nothing changed at the IdP, so nothing is downloaded or written"
  step_export
  stop_sim
  echo
  echo "Demo data (store, log, avatars) is in $demo_dir; idp-sim's request counters are in $demo_dir/idp-sim.log."
}

main
