#!/bin/sh
# Runs inside the test machine, with busybox: boots the Linux guest under
# Debian's unmodified qemu-system-aarch64 (KVM, the provider loaded) and
# judges what the guest kernel printed. Each command is one plan step:
#
#   run.sh boot NAME sdei|none SPIN [lockup]
#       boot a guest with (sdei) or without (none) the /firmware/sdei node;
#       CPU 1 is stuck for SPIN seconds; the console goes to /tmp/NAME.log
#   run.sh migrate NAME SPIN
#       boot a guest with SDEI, stop it, migrate it to a file, continue it
#       in a second QEMU, then run the backtrace test there
#   run.sh expect-sdei|expect-no-sdei NAME
#   run.sh expect-backtrace|expect-no-backtrace NAME
#   run.sh expect-lockup-stack|expect-lockup-no-stack NAME
#       check one outcome in /tmp/NAME.log, printing the lines it judged
#   run.sh demo
#       make demo's story: the same stuck CPU without SDEI, then with it
#   run.sh bench
#       make bench's guest (KVM_SDEI_GUEST_VARIANT=bench): sdei_nmi_bench.ko
QEMU=/usr/bin/qemu-system-aarch64
BOOT_TIMEOUT=300

# A failed step leaves no QEMU behind: the next step, and rmmod, would
# find its VM.
fail() {
	echo "FAIL: $*"
	for pid in /tmp/*.pid; do [ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null; done
	exit 1
}

# Guest lines are prefixed, so that the host does not mistake the guest's
# reports for its own (the guest's are judged here).
show() { sed 's/^/guest| /'; }

# The marker guest/init.c prints before and after each phase.
section() { # log first-marker last-marker
	tr -d '\r' <"$1" | sed -n "/GUEST-TEST: $2/,/GUEST-TEST: $3/p"
}

# What the guest kernel printed after "NMI backtrace for cpu 1", up to the
# next CPU's backtrace; init's markers may land in between. A function of
# the stuck CPU's stack shows as a call trace line, "name+0xoffset/0xsize".
cpu1_backtrace() {
	awk '/NMI backtrace for cpu/ { in1 = ($0 ~ /NMI backtrace for cpu 1$/) }
	     in1 && !/GUEST-TEST:/ { print }'
}
# test_lockup spins in test_wait(); once the spin ends, a late IPI still
# finds test_lockup's other functions on the stack, but not this one.
SPINNING_FUNCTION='test_wait+0x'


machine_args() {
	echo "-M virt,gic-version=3 -accel kvm -cpu host -smp 2 -m 256M" \
		"-nodefaults -display none -no-reboot"
}

append() { # spin, then lockup and/or wait
	a="console=ttyAMA0 panic=-1 printk.devkmsg=on"
	a="$a nosoftlockup nmi_watchdog=0 watchdog_thresh=1"
	a="$a guest_test.spin=$1"
	shift
	for opt; do a="$a guest_test.$opt"; done
	echo "$a"
}

# QEMU's own device tree with the node a firmware offering SDEI would add
# (DEN0054: compatible "arm,sdei-1.0", the conduit in "method"). Without
# SDEI, the guest gets QEMU's own device tree, untouched.
make_sdei_dtb() {
	[ -f /tmp/sdei.dtb ] && return
	# shellcheck disable=SC2046
	$QEMU $(machine_args) -machine dumpdtb=/tmp/sdei.dtb >/dev/null 2>&1 ||
		fail "QEMU could not dump its device tree"
	fdtput -p -t s /tmp/sdei.dtb /firmware/sdei compatible arm,sdei-1.0 &&
		fdtput -t s /tmp/sdei.dtb /firmware/sdei method hvc ||
		fail "fdtput could not add /firmware/sdei"
}

start_qemu() { # name sdei|none append [extra...]
	local name=$1 dtb= app=$3
	[ "$2" = sdei ] && dtb="-dtb /tmp/sdei.dtb"
	shift 3
	rm -f "/tmp/$name".*
	for p in con mon; do mkfifo "/tmp/$name.$p.in" "/tmp/$name.$p.out"; done
	: >"/tmp/$name.log"
	# shellcheck disable=SC2046
	$QEMU $(machine_args) -kernel /guest/Image -initrd /guest/initrd.cpio \
		$dtb -append "$app" \
		-chardev "pipe,id=con,path=/tmp/$name.con" -serial chardev:con \
		-monitor "pipe:/tmp/$name.mon" "$@" 2>"/tmp/$name.qemu-err" &
	echo $! >"/tmp/$name.pid"
	cat "/tmp/$name.con.out" >>"/tmp/$name.log" &
	cat "/tmp/$name.mon.out" >"/tmp/$name.mon.log" &
}

monitor() { echo "$2" >"/tmp/$1.mon.in"; }

wait_for() { # file text seconds
	local i=0
	while ! tr -d '\r' <"$1" | grep -q -- "$2"; do
		i=$((i + 1))
		[ "$i" -le "$3" ] || return 1
		sleep 1
	done
}

wait_exit() { # name seconds
	local pid i=0
	pid=$(cat "/tmp/$1.pid")
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt "$2" ]; then
			kill -9 "$pid"
			return 1
		fi
		sleep 1
	done
	rm -f "/tmp/$1.pid"
}

# The run went through, and the guest kernel reported no bug of its own.
judge_run() { # name
	if ! wait_for "/tmp/$1.log" "GUEST-TEST: done" "$BOOT_TIMEOUT"; then
		tail -40 "/tmp/$1.log" | show
		cat "/tmp/$1.qemu-err"
		wait_exit "$1" 1
		fail "the guest did not finish within ${BOOT_TIMEOUT}s"
	fi
	wait_exit "$1" 60 || fail "QEMU did not exit after the guest powered off"
	if grep -E -q '(WARNING:|BUG:|Oops|Kernel panic|Unable to handle)' "/tmp/$1.log"; then
		grep -E -A10 '(WARNING:|BUG:|Oops|Kernel panic|Unable to handle)' "/tmp/$1.log" | show
		fail "the guest kernel reported a bug"
	fi
	echo "guest run $1: $(grep -c . "/tmp/$1.log") console lines in /tmp/$1.log"
}

cmd_boot() { # name sdei|none spin [options]
	local name=$1 dt=$2 spin=$3 start
	shift 3
	make_sdei_dtb
	start=$(date +%s)
	start_qemu "$name" "$dt" "$(append "$spin" "$@")"
	judge_run "$name"
	echo "guest run $name took $(($(date +%s) - start))s"
}

cmd_migrate() { # name spin
	local name=$1 spin=$2 i
	make_sdei_dtb
	start_qemu "$name-src" sdei "$(append "$spin" wait)"
	wait_for "/tmp/$name-src.log" "GUEST-TEST: waiting for the console" "$BOOT_TIMEOUT" ||
		{ tail -20 "/tmp/$name-src.log" | show; fail "the guest did not boot"; }
	echo "migrate: stop the guest, save it to a file"
	monitor "$name-src" stop
	monitor "$name-src" "migrate \"exec:cat > /tmp/vmstate-$name\""
	i=0
	# QEMU 7.2 says "Migration status: completed", newer ones "Status:" and padding.
	until tr -d '\r' <"/tmp/$name-src.mon.log" | grep -q -i -E 'status:[[:space:]]+completed'; do
		tr -d '\r' <"/tmp/$name-src.mon.log" | grep -q -i -E 'status:[[:space:]]+failed' &&
			{ tail -20 "/tmp/$name-src.mon.log"; fail "the migration failed"; }
		i=$((i + 1))
		[ "$i" -le 120 ] || { tail -20 "/tmp/$name-src.mon.log"; fail "the migration did not complete"; }
		monitor "$name-src" "info migrate"
		sleep 1
	done
	monitor "$name-src" quit
	wait_exit "$name-src" 30 || fail "the source QEMU did not quit"
	echo "migrate: $(wc -c <"/tmp/vmstate-$name") bytes saved; the source QEMU has quit"

	echo "migrate: a second QEMU loads the guest (-incoming) and continues it"
	start_qemu "$name" sdei "$(append "$spin" wait)" \
		-incoming "exec:cat /tmp/vmstate-$name"
	i=0
	until tr -d '\r' <"/tmp/$name.mon.log" | grep -q '^VM status: paused$'; do
		i=$((i + 1))
		[ "$i" -le 120 ] || { cat "/tmp/$name.qemu-err"; fail "the incoming migration did not complete"; }
		monitor "$name" "info status"
		sleep 1
	done
	monitor "$name" cont
	echo go >"/tmp/$name.con.in"
	judge_run "$name"
	grep -q "GUEST-TEST: resumed" "/tmp/$name.log" || fail "the guest did not resume"
	echo "migrate: the guest resumed in the second QEMU"
}

expect() { # name what present|absent text, with the judged lines on stdin
	lines=$(cat)
	echo "$lines" | show
	if echo "$lines" | grep -q -- "$4"; then found=present; else found=absent; fi
	[ "$found" = "$3" ] || fail "$1: $2: '$4' is $found"
	echo "$1: $2: '$4' is $found, as expected"
}

cmd_expect() { # what name
	log=/tmp/$2.log
	[ -s "$log" ] || fail "no console log for $2"
	case $1 in
	sdei | no-sdei)
		grep -E 'sdei|SDEI' "$log" | tr -d '\r' >/tmp/judged
		want=present; [ "$1" = sdei ] || want=absent
		expect "$2" "SDEI in the guest" $want "using SDEI cross-CPU NMI" </tmp/judged ;;
	backtrace | no-backtrace)
		want=present; [ "$1" = backtrace ] || want=absent
		section "$log" "CPU 0 asks every CPU" "CPU 1 is released" >/tmp/judged
		grep -q "GUEST-TEST: CPU 1 is released" /tmp/judged || fail "the phase did not end"
		cpu1_backtrace </tmp/judged | expect "$2" "CPU 1's backtrace, while stuck" $want "$SPINNING_FUNCTION" ;;
	lockup-stack | lockup-no-stack)
		want=present; [ "$1" = lockup-stack ] || want=absent
		section "$log" "the hard lockup detector is on" "released from the lockup" >/tmp/judged
		grep -q "hard LOCKUP on cpu 1" /tmp/judged ||
			{ show </tmp/judged; fail "$2: the detector did not report CPU 1"; }
		echo "$2: the hard lockup detector reported CPU 1"
		cpu1_backtrace </tmp/judged | expect "$2" "CPU 1's stack in the lockup report" $want "$SPINNING_FUNCTION" ;;
	*) fail "unknown check $1" ;;
	esac
}

say() { echo "### $*"; }

# The lines of one phase that tell the story, and where CPU 1 was.
tell_backtrace() { # name
	section "/tmp/$1.log" "CPU 1 gets stuck" "CPU 1 is released" |
		grep -E 'GUEST-TEST|Sending NMI|NMI backtrace for cpu 1|pc :|test_wait\+|test_unlock\+' | show
	if section "/tmp/$1.log" "CPU 0 asks" "CPU 1 is released" | cpu1_backtrace |
	   grep -q "$SPINNING_FUNCTION"; then
		say "   CPU 1's backtrace arrived while it was stuck, and names the spinning function, test_wait()."
	else
		say "   No backtrace of CPU 1 while it was stuck: the request waited for it to unmask interrupts,"
		say "   and what came then shows where it went after the spin (test_unlock()), not test_wait()."
	fi
}

cmd_demo() {
	say "2. The guest: unmodified Linux 7.3 with CONFIG_ARM_SDEI_NMI, under Debian's unmodified QEMU:"
	say "   $($QEMU --version | head -1)"
	say "3. First without SDEI (QEMU's own device tree). CPU 1 spins with interrupts masked"
	say "   (test_lockup.ko); CPU 0 asks every CPU for a backtrace (sysrq-l), which sends IPIs."
	cmd_boot demo-ipi none 6 >/dev/null
	tell_backtrace demo-ipi
	say "4. The same guest, with /firmware/sdei added to the device tree. The guest finds SDEI"
	say "   and registers event 0 for NMI backtraces:"
	cmd_boot demo-sdei sdei 6 >/dev/null
	grep -E 'sdei' "/tmp/demo-sdei.log" | tr -d '\r' | show
	say "   CPU 1 spins with interrupts masked again; CPU 0 asks for backtraces, which now"
	say "   travel as SDEI event 0 (SDEI_EVENT_SIGNAL, handled by kvm_sdei on the host):"
	tell_backtrace demo-sdei
}

# make bench's guest: the benchmark module prints its figures.
cmd_bench() {
	cmd_boot bench sdei 0 bench >/dev/null
	grep sdei_nmi_bench "/tmp/bench.log" | tr -d '\r' | show
	grep -q "ratio SIGNAL-to-entry" /tmp/bench.log || fail "the benchmark printed no ratio"
}

case $1 in
boot) shift; cmd_boot "$@" ;;
bench) cmd_bench ;;
demo) cmd_demo ;;
migrate) shift; cmd_migrate "$@" ;;
expect-*) cmd_expect "${1#expect-}" "$2" ;;
*) fail "usage: run.sh boot|migrate|expect-... (see the top of the file)" ;;
esac
