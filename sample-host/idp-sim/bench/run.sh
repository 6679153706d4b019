#!/bin/sh
# Measures idp-sim photo throughput on one core: idp-sim pinned to CPU 0 (one io_context thread),
# wrk pinned to CPU 1. Usage: sample-host/idp-sim/bench/run.sh <build-dir> [users-with-photos-sampled]
set -eu
BUILD=${1:?build dir}
SAMPLE=${2:-2000}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
taskset -c 0 "$BUILD/sample-host/idp-sim/idp-sim" --users 100000 --port 0 > "$OUT/sim.out" &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -rf "$OUT"' EXIT
while [ ! -s "$OUT/sim.out" ]; do sleep 0.1; done
BASE=$(head -1 "$OUT/sim.out" | sed 's/.* on //')
CREDS=$(curl -s "$BASE/_admin/credentials")
field() { printf '%s' "$CREDS" | python3 -c "import json,sys; print(json.load(sys.stdin)['entra']['$1'])"; }
TOKEN=$(curl -s -X POST "$BASE/$(field tenantId)/oauth2/v2.0/token" \
  --data-urlencode "client_id=$(field clientId)" --data-urlencode "client_secret=$(field clientSecret)" \
  --data-urlencode "scope=https://graph.microsoft.com/.default" --data-urlencode "grant_type=client_credentials" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
curl -s "$BASE/_admin/users?limit=1000&offset=0&hashes=false" "$BASE/_admin/users?limit=1000&offset=1000&hashes=false" |
  python3 -c "
import json,sys
dec=json.JSONDecoder(); s=sys.stdin.read(); i=0; n=0
while i < len(s) and n < $SAMPLE:
    o,i=dec.raw_decode(s,i)
    for u in o['users']:
        if u['hasPhoto']: print(u['id']); n+=1
" > "$OUT/ids"
export TOKEN IDS_FILE="$OUT/ids"
echo "warm-up (encodes each sampled photo once):"
taskset -c 1 wrk -t1 -c16 -d5s -s "$HERE/photo_value.lua" "$BASE" | sed -n '/Requests\/sec/p'
echo "measured (cache warm, $(wc -l < "$OUT/ids") distinct users):"
taskset -c 1 wrk -t1 -c32 -d10s --latency -s "$HERE/photo_value.lua" "$BASE"
curl -s "$BASE/_admin/counters" | python3 -c "
import json,sys; c=json.load(sys.stdin); print('server counters: photo 200 =', c['requests'].get('graph.photo.value',{}).get('200'), ' non-200 =', {k:v for k,v in c['requests'].get('graph.photo.value',{}).items() if k!='200'}, ' cache =', c['photoCache'])"
