#!/usr/bin/env bash
# Instructions per call of the core's hot paths, counted by callgrind (the
# count does not depend on the machine's load): each path runs N and 2N
# times, and the difference divided by N is what one iteration costs.
source "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"
export CARGO_TARGET_DIR=$CACHE/cargo-target
cargo build -q --release --example hot_paths --manifest-path "$TOP/rust/Cargo.toml"
bin=$CARGO_TARGET_DIR/release/examples/hot_paths
n=1000

instructions() { # path iterations
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-10s %s\n' path "instructions per iteration"
for path in version signal cycle; do
	one=$(instructions "$path" "$n")
	two=$(instructions "$path" $((2 * n)))
	printf '%-10s %s\n' "$path" $(((two - one) / n))
done
"$bin" version 0 | sed 's/.*, /per-vCPU state: /'
