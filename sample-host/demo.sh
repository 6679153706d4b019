#!/usr/bin/env bash
# The PhotoSync demo, run by `./dev demo` as `sample-host/demo.sh <build-dir>` after the build.
# Each step prints a heading and runs the real sample-host binary, so what you see is what a
# host sees. Later steps (start idp-sim, configure a directory, sync twice, export avatars) are
# added below the existing ones, each as a function called from main.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir>" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
host="$build_dir/sample-host/sample-host"
plugin_dir="$build_dir/plugins"

heading() {
  printf '\n== %s ==\n' "$*"
}

require_build() {
  if [[ ! -x "$host" ]]; then
    echo "demo: $host not found; build first (./dev demo does)" >&2
    exit 1
  fi
}

step_plugins() {
  heading "What the host sees: sample-host plugins --dir $plugin_dir"
  # Exit code 1 means a plugin was refused; the listing says why, and the demo stops there.
  "$host" plugins --dir "$plugin_dir"
}

main() {
  require_build
  step_plugins
}

main
