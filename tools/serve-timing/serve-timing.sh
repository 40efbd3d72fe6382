#!/usr/bin/env bash
# Times teaches through `ar1 serve` (docs/server.md#incoming-teach): one /api/learn of 100 frames
# against an incoming teach of the same frames in ten uploads 0.3 s apart, as a camera page sends
# them, two classes alternately. Prints each job's `seconds` (the worker's time, snapshot included).
#   tools/serve-timing/serve-timing.sh [rounds] [port]
set -euo pipefail
rounds=${1:-4}
port=${2:-8091}
url=http://127.0.0.1:$port
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
# 100 noisy 160x160 PNG frames of each of two colours, written by Python's standard library alone.
python3 - "$work" <<'PY'
import random, struct, sys, zlib
def png(side, rgb):
    raw = b''.join(b'\x00' + bytes(rgb[y * side * 3:(y + 1) * side * 3]) for y in range(side))
    def chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', side, side, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b'')
random.seed(1)
for c, (r, g, b) in enumerate([(220, 30, 30), (30, 30, 220)]):
    for i in range(100):
        px = []
        for y in range(160):
            for x in range(160):
                n = random.randint(-20, 20)
                px += [max(0, min(255, r + n + x // 4)), max(0, min(255, g + n)), max(0, min(255, b + n + y // 4))]
        open(f'{sys.argv[1]}/c{c}-{i:03d}.png', 'wb').write(png(160, px))
PY
"$root/ar1" serve --port "$port" --weights none --image-size 128 --state "$work/state" > "$work/serve.log" 2>&1 &
pid=$!
field() { python3 -c "import sys, json; print(json.load(sys.stdin)['$1'])"; }
for _ in $(seq 1 300); do [ "$(curl -s $url/api/status | field state 2>/dev/null || true)" = ready ] && break; sleep 1; done
for round in $(seq 1 "$rounds"); do
  for c in 0 1; do
    files=(); for f in "$work"/c$c-*.png; do files+=(-F "images=@$f"); done
    whole=$(curl -s -F label=$c "${files[@]}" $url/api/learn | field seconds)
    id=$(curl -s -F label=$c $url/api/incoming | field id)
    for g in 0 1 2 3 4 5 6 7 8 9; do
      part=(); for f in "$work"/c$c-0$g*.png; do part+=(-F "images=@$f"); done
      curl -s "${part[@]}" $url/api/incoming/$id/images > /dev/null
      sleep 0.3
    done
    incoming=$(curl -s -X POST $url/api/incoming/$id/learn | field seconds)
    echo "round $round class $c: one upload ${whole} s; incoming ${incoming} s after the last frame"
  done
done
