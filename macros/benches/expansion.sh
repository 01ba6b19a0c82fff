#!/usr/bin/env bash
# Macro expansion time as a user's build runs it, both ways — the proc-macro unoptimized (cargo's default
# for dev builds) and with the recommended `opt-level = 3` for acsgen-macros and acsgen-codegen — for the
# full aiccs file (149 operations), ECS (347) and CS (117, ROA style), plus the `cargo check` time of a
# crate holding each whole client. The macro reports its own time (from its arguments to the finished tokens, compiler lexing
# included) through ACSGEN_TIMINGS. Prints the minimum and median of RUNS runs (default 5).
#
#   bash macros/benches/expansion.sh        # the vendor's files from ACSGEN_VENDOR_METADATA (default ../shared/metadata)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
metadata=$(cd "$root" && cd "${ACSGEN_VENDOR_METADATA:-../shared/metadata}" && pwd)
runs=${RUNS:-5}
work="$root/target/bench-expansion"
mkdir -p "$work"

write_crate() { # name spec
  mkdir -p "$work/$1/src"
  cat > "$work/$1/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
acsgen = { path = "$root/runtime" }
TOML
  printf '#[acsgen::api(spec = "%s")]\npub mod client {}\n' "$2" > "$work/$1/src/lib.rs"
}
write_crate bench-aiccs "$metadata/aiccs-2019-10-15.2024-06.json"
write_crate bench-ecs "$metadata/ecs-2014-05-26.json"
write_crate bench-cs "$metadata/cs-2015-12-15.json"
cat > "$work/Cargo.toml" <<TOML
[workspace]
resolver = "3"
members = ["bench-aiccs", "bench-ecs", "bench-cs"]
TOML

stats() { sort -n | awk '{a[NR]=$1} END {printf "min %7.1f ms   median %7.1f ms", a[1], a[int((NR+1)/2)]}'; }

for mode in unoptimized optimized; do
  level=0; [ "$mode" = optimized ] && level=3
  target="$work/target-$mode"
  config=(--config "profile.dev.package.acsgen-macros.opt-level=$level"
          --config "profile.dev.package.acsgen-codegen.opt-level=$level")
  cargo check --quiet --manifest-path "$work/Cargo.toml" --workspace --target-dir "$target" "${config[@]}"
  for crate in bench-aiccs bench-ecs bench-cs; do
    timings="$work/timings-$mode-$crate"
    checks="$work/check-$mode-$crate"
    : > "$timings"; : > "$checks"
    for _ in $(seq "$runs"); do
      touch "$work/$crate/src/lib.rs"
      start=$(date +%s%N)
      ACSGEN_TIMINGS="$timings" cargo check --quiet --manifest-path "$work/Cargo.toml" -p "$crate" \
        --target-dir "$target" "${config[@]}"
      echo "$(( ($(date +%s%N) - start) / 1000000 ))" >> "$checks"
    done
    printf '%-12s %-12s expansion: %s   cargo check: %s\n' "$mode" "$crate" \
      "$(cut -f2 "$timings" | stats)" "$(stats < "$checks")"
  done
done
