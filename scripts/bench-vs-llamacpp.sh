#!/usr/bin/env bash
# refusal4j's `bench` beside llama.cpp's own benchmarks on the same GGUF file, per weight type.
#
# Usage: scripts/bench-vs-llamacpp.sh MODEL [TYPE...]
#   MODEL  a config for random weights (a bundled name such as Qwen2.5-0.5B-Instruct, or a
#          config.json), converted by `refusal4j convert` to one GGUF per TYPE; or a .gguf file
#   TYPE   f32 f16 bf16 q8_0 q4_0 q4_k q6_k ... (default: f32 bf16 q8_0 q4_k q6_k q4_0)
# Environment: ROUNDS (interleaved rounds, default 2; 0 only writes the GGUF files), REPS
#   (repetitions inside each tool per round, default 2), THREADS (default 2), LONG (the single
#   prompt's length, default 512), WORK (models and logs, default /tmp/refusal4j-vs-llamacpp),
#   LLAMA_CPP_BIN (folder with llama-bench and llama-batched-bench), or LLAMA_CPP_SRC (a llama.cpp
#   source checkout, built here into LLAMA_CPP_BUILD, default $WORK/llama.cpp-build).
# Each round runs every type with both tools, the page cache warmed before each run, the tool that
# goes first alternating between rounds; the table shows the range over rounds and the ratio of
# the means. llama.cpp: llama-batched-bench (8 x 64 prefill), llama-bench (pp$LONG, tg32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:?usage: scripts/bench-vs-llamacpp.sh MODEL [TYPE...]}"; shift
types=("$@"); [ ${#types[@]} -gt 0 ] || types=(f32 bf16 q8_0 q4_k q6_k q4_0)
ROUNDS="${ROUNDS:-2}" LONG="${LONG:-512}" REPS="${REPS:-2}" THREADS="${THREADS:-2}" WORK="${WORK:-/tmp/refusal4j-vs-llamacpp}"
mkdir -p "$WORK"; results="$WORK/results.txt"; : > "$results"

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores;" \
  "flags: $(grep -m1 -ow 'avx2\|avx512f\|avx512_bf16\|avx512_vnni\|amx_bf16' /proc/cpuinfo | sort -u | xargs || true)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $THREADS threads, $ROUNDS rounds x $REPS repetitions"

# llama.cpp: given binaries, a source checkout to build, or none (refusal4j alone)
bin="${LLAMA_CPP_BIN:-}"
if [ -z "$bin" ] && [ -n "${LLAMA_CPP_SRC:-}" ]; then
  build="${LLAMA_CPP_BUILD:-$WORK/llama.cpp-build}"
  echo "building llama.cpp from $LLAMA_CPP_SRC into $build (log: $WORK/llama.cpp-build.log) ..."
  { cmake -S "$LLAMA_CPP_SRC" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON &&
    cmake --build "$build" --config Release -j "$(nproc)" --target llama-bench llama-batched-bench; } > "$WORK/llama.cpp-build.log" 2>&1 ||
    { echo "llama.cpp build failed, see $WORK/llama.cpp-build.log" >&2; exit 1; }
  bin="$build/bin"
fi
if [ -n "$bin" ] && [ -x "$bin/llama-bench" ] && [ -x "$bin/llama-batched-bench" ]; then
  git -C "${LLAMA_CPP_SRC:-$bin}" rev-parse HEAD 2>/dev/null | sed 's/^/llama.cpp commit: /' || true
else
  echo "llama.cpp: no llama-bench and llama-batched-bench${bin:+ in $bin} (set LLAMA_CPP_BIN=DIR or LLAMA_CPP_SRC=DIR); refusal4j's numbers only"
  bin=""
fi

r4j() { REFUSAL4J_THREADS="$THREADS" "$here/refusal4j" "$@"; }
r4j --version > /dev/null # builds the jar if needed

# The GGUF file of each type
declare -A file
if [[ "$model" == *.gguf ]]; then
  types=("$(basename "$model" .gguf)"); file[${types[0]}]="$model"
else
  src="$WORK/$(r4j bench --random-config "$model" --work-dir "$WORK" --batch 1 --prompt-len 1 --long-prompt 0 --decode 0 --rounds 1 | awk '/^model/ {print $2}')"
  # llama.cpp loads no model without a vocabulary: a byte-level one (GPT-2's 256 byte tokens, the
  # rest of the model's ids unused) is enough for benchmarks, which feed token ids.
  if [ ! -f "$src/tokenizer.json" ]; then
    { printf '{"model": {"type": "BPE", "merges": [], "vocab": {'; n=0
      for b in $(seq 0 255); do
        if { [ $b -ge 33 ] && [ $b -le 126 ]; } || { [ $b -ge 161 ] && [ $b -le 172 ]; } || [ $b -ge 174 ]; then cp=$b; else cp=$((256 + n)); n=$((n + 1)); fi
        printf '%s"\\u%04x": %d' "$([ $b -gt 0 ] && echo ', ')" $cp $b
      done
      printf '}}, "added_tokens": [], "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}\n'
    } > "$src/tokenizer.json"
  fi
  name="$(basename "$src" -bf16)"; name="${name#refusal4j-random-}"
  for t in "${types[@]}"; do
    file[$t]="$WORK/$name-$t.gguf" log="$WORK/$name-$t.convert.log"
    [ -f "${file[$t]}" ] || r4j convert --model "$src" --out "${file[$t]}" --outtype "$t" > "$log" 2>&1 ||
      { echo "convert to $t failed: $(tail -1 "$log")" >&2; exit 1; }
    # a matrix whose rows are not whole blocks of the type is written as f16, as llama.cpp's converter does
    f16=$(grep -c 'not whole .* blocks; written as f16' "$log" || true)
    [ "$f16" = 0 ] || echo "$t: $f16 matrices written as f16 (their rows are not whole $t blocks)"
  done
fi

# One run of a tool appends "type tool metric tokens/s" lines to $results.
run_llamacpp() {
  local t=$1 f=$2 log="$WORK/llama-$1.log" npp; npp="$(printf '64,%.0s' $(seq "$REPS"))"
  "$bin/llama-batched-bench" -m "$f" -t "$THREADS" -tb "$THREADS" -c 1024 -npp "${npp%,}" -ntg 1 -npl 8 --output-format jsonl > "$log" 2>&1 ||
    { echo "llama-batched-bench failed on $f: $(tail -1 "$log")" >&2; return 0; }
  grep -o '"speed_pp": [0-9.]*' "$log" | awk -v t="$t" '{s += $2; n++} END {if (n) print t, "llama.cpp pp8x64", s / n}' >> "$results"
  "$bin/llama-bench" -m "$f" -t "$THREADS" -p "$LONG" -n 32 -r "$REPS" -o jsonl > "$log" 2>&1 ||
    { echo "llama-bench failed on $f: $(tail -1 "$log")" >&2; return 0; }
  sed -n 's/.*"n_prompt": \([0-9]*\), "n_gen": \([0-9]*\),.*"avg_ts": \([0-9.]*\).*/\1 \2 \3/p' "$log" |
    awk -v t="$t" -v long="$LONG" '$1 == long {print t, "llama.cpp pp1xlong", $3} $2 == 32 {print t, "llama.cpp tg32", $3}' >> "$results"
}
run_refusal4j() {
  local t=$1 f=$2 log="$WORK/refusal4j-$1.log"
  r4j bench --model "$f" --batch 8 --prompt-len 64 --long-prompt "$LONG" --decode 32 --rounds "$REPS" > "$log" 2>&1 || { tail -1 "$log" >&2; return 1; }
  awk -v t="$t" '/^prefill +8 x 64:/ {print t, "refusal4j pp8x64", $5} /^prefill +1 x [0-9]+:/ {print t, "refusal4j pp1xlong", $5}
    /^decode +1 seq/ {print t, "refusal4j tg32", $6; print t, "refusal4j bytes_per_token", substr($8, 2) * 1e9 / $6}
    /^read +the decode step/ {print t, "refusal4j read_gbps", $7}' "$log" >> "$results"
}

# The table: each figure's range over the rounds; refusal4j / llama.cpp as the ratio of the means.
table() {
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  [ -z "$bin" ] || grep -ho '"build_commit": "[^"]*", "build_number": [0-9]*' "$WORK"/llama-*.log | head -1 |
    sed 's/"build_commit": "\([^"]*\)", "build_number": \([0-9]*\)/llama.cpp build: commit \1, number \2/' || true
  echo
  echo "| type | tool | prefill 8 × 64 | prefill 1 × $LONG | decode tok/s |"
  echo "|---|---|---|---|---|"
  awk -v types="${types[*]}" '
    { k = $1 SUBSEP $2 SUBSEP $3; v = $4 + 0; n[k]++; sum[k] += v
      if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
    function range(t, tool, m,   k) { k = t SUBSEP tool SUBSEP m; return !(k in n) ? "–" : sprintf(lo[k] == hi[k] ? "%.1f" : "%.1f–%.1f", lo[k], hi[k]) }
    function ratio(t, m,   a, b) { a = t SUBSEP "refusal4j" SUBSEP m; b = t SUBSEP "llama.cpp" SUBSEP m
      return (a in n) && (b in n) && sum[b] > 0 ? sprintf("%.2f×", (sum[a] / n[a]) / (sum[b] / n[b])) : "–" }
    END { split(types, ts, " ")
      for (i = 1; i in ts; i++) { t = ts[i]
        for (j = 1; j <= 2; j++) { tool = j == 1 ? "llama.cpp" : "refusal4j"
          if ((t SUBSEP tool SUBSEP "pp8x64") in n || (t SUBSEP tool SUBSEP "tg32") in n)
            printf "| %s | %s | %s | %s | %s |\n", t, tool, range(t, tool, "pp8x64"), range(t, tool, "pp1xlong"), range(t, tool, "tg32") }
        if ((t SUBSEP "llama.cpp" SUBSEP "tg32") in n)
          printf "| %s | refusal4j / llama.cpp | %s | %s | %s |\n", t, ratio(t, "pp8x64"), ratio(t, "pp1xlong"), ratio(t, "tg32") }
      # decode reads every weight once a token: its ceiling is the rate at which the weights can be read at all
      for (i = 1; i in ts; i++) { t = ts[i]; r = t SUBSEP "refusal4j" SUBSEP "read_gbps"; b = t SUBSEP "refusal4j" SUBSEP "bytes_per_token"
        if (!(r in n) || !(b in n)) continue
        gbps = sum[r] / n[r]; bpt = sum[b] / n[b]; line = sprintf("%s: the weights a decode step reads (%.2f GB) read alone at %s GB/s; decode at", t, bpt / 1e9, range(t, "refusal4j", "read_gbps"))
        for (j = 1; j <= 2; j++) { tool = j == 1 ? "llama.cpp" : "refusal4j"; k = t SUBSEP tool SUBSEP "tg32"
          if (k in n) line = line sprintf(" %s %.0f%%", tool, 100 * (sum[k] / n[k]) * bpt / 1e9 / gbps) }
        print line " of that rate" } }' "$results"
}
trap 'echo "interrupted: the rounds so far"; table; exit 130' INT TERM

for r in $(seq "$ROUNDS"); do
  for t in "${types[@]}"; do
    tools=(refusal4j); [ -z "$bin" ] || { [ $((r % 2)) = 1 ] && tools=(llamacpp refusal4j) || tools=(refusal4j llamacpp); }
    for tool in "${tools[@]}"; do
      cat "${file[$t]}" > /dev/null # weights in the page cache: each run reads from memory
      echo "round $r/$ROUNDS: $t, $tool (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      "run_$tool" "$t" "${file[$t]}"
    done
  done
done

table
