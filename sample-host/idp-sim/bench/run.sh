#!/bin/sh
# Measures idp-sim photo throughput on one core: idp-sim (one io_context thread) pinned to CPU 0
# while measured, wrk pinned to CPU 1, 100,000 users (80% with a photo).
#
# Usage: sample-host/idp-sim/bench/run.sh <build-dir> [on-demand|pregenerate|store] [store-dir]
#   on-demand    (default) photos are rendered + encoded on first request, LRU cache of 64 MB
#   pregenerate  --pregenerate graph: every Graph photo rendered at start on both CPUs (the
#                startup time is printed), then pinned to CPU 0 for the measurement
#   store        --pregenerate graph --photo-store DIR (default /tmp/idp-sim-photo-store): the
#                first run renders and saves, later runs map the file
#
# Phases: "cold" walks every user with a photo in a shuffled order (each request asks for a
# photo not asked before), "warm" asks 2,000 users at random after a warm-up that asked each
# once. For each: wrk's figures, and the server's own CPU time per request (utime+stime from /proc), which does not depend on what else
# runs on the machine.
set -eu
BUILD=${1:?build dir}
MODE=${2:-on-demand}
STORE=${3:-/tmp/idp-sim-photo-store}
SAMPLE=2000
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
case $MODE in
  on-demand) set -- ;;
  pregenerate) set -- --pregenerate graph ;;
  store) set -- --pregenerate graph --photo-store "$STORE" ;;
  *) echo "mode must be on-demand, pregenerate or store" >&2; exit 2 ;;
esac
"$BUILD/sample-host/idp-sim/idp-sim" --users 100000 --threads 1 --port 0 "$@" > "$OUT/sim.out" &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -rf "$OUT"' EXIT
while [ ! -s "$OUT/sim.out" ]; do sleep 0.1; done
BASE=$(head -1 "$OUT/sim.out" | sed 's/.* on //')
if [ "$MODE" != on-demand ]; then
  until curl -s "$BASE/_admin/health" | grep -q '"finished":true'; do sleep 0.5; done
  grep pregenerated "$OUT/sim.out"
fi
taskset -a -cp 0 $SIM > /dev/null
CREDS=$(curl -s "$BASE/_admin/credentials")
field() { printf '%s' "$CREDS" | python3 -c "import json,sys; print(json.load(sys.stdin)['entra']['$1'])"; }
TOKEN=$(curl -s -X POST "$BASE/$(field tenantId)/oauth2/v2.0/token" \
  --data-urlencode "client_id=$(field clientId)" --data-urlencode "client_secret=$(field clientSecret)" \
  --data-urlencode "scope=https://graph.microsoft.com/.default" --data-urlencode "grant_type=client_credentials" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
python3 - "$BASE" "$OUT" "$SAMPLE" <<'PY'
import json, random, sys, urllib.request
base, out, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = []
for off in range(0, 100000, 1000):
    page = json.load(urllib.request.urlopen(f"{base}/_admin/users?limit=1000&offset={off}&hashes=false"))
    ids += [u["id"] for u in page["users"] if u["hasPhoto"]]
random.Random(7).shuffle(ids)
open(f"{out}/all", "w").write("\n".join(ids) + "\n")
open(f"{out}/sample", "w").write("\n".join(ids[:sample]) + "\n")
PY
cpu() { awk '{print $14 + $15}' /proc/$SIM/stat; }
served() { curl -s "$BASE/_admin/counters" | python3 -c "import json,sys; print(json.load(sys.stdin)['requests'].get('graph.photo.value',{}).get('200',0))"; }
phase() {  # name ids-file lua duration
  export TOKEN IDS_FILE="$2"
  c0=$(cpu); n0=$(served)
  echo "== $1: $(wc -l < "$2") distinct users, wrk -t1 -c32 -d$4 --latency -s $(basename "$3")"
  taskset -c 1 wrk -t1 -c32 -d"$4" --latency -s "$3" "$BASE" | grep -E 'requests in|Requests/sec|Non-2xx|Socket errors| (50|99)%'
  c1=$(cpu); n1=$(served)
  python3 -c "n=$n1-$n0; t=($c1-$c0)/100; print(f'server: {n} photos 200, {t:.2f} s CPU, {1e6*t/max(n,1):.0f} us CPU per request = {n/max(t,0.01):.0f} requests per CPU-second')"
}
phase cold "$OUT/all" "$HERE/cold.lua" 10s
echo "(warm-up: each of the $SAMPLE sampled users asked once or more, not measured)"
IDS_FILE="$OUT/sample" taskset -c 1 wrk -t1 -c16 -d5s -s "$HERE/cold.lua" "$BASE" > /dev/null
phase warm "$OUT/sample" "$HERE/photo_value.lua" 10s
curl -s "$BASE/_admin/counters" | python3 -c "
import json,sys; c=json.load(sys.stdin); print('photo cache:', c['photoCache'])"
grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$SIM/status | tr -s ' \t' ' ' | tr '\n' ' '; echo
