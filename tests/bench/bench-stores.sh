# SPDX-License-Identifier: MIT
# Part stores of make bench (sourced by run-bench.sh): the real-time path
# with heduid's store on SQLite, then on PostgreSQL with one replica and
# with two replicas sharing the database (the load generator names both:
# --server a,b), in the same run. On 2 cores two replicas cannot be
# faster; what is measured is the cost per verification and that nothing
# is lost (errors 0).
#
# Settings: BENCH_PG_BIN, the directory of Debian's initdb and pg_ctl
# (default: the newest /usr/lib/postgresql/*/bin).

pg_dir=
pg_port=
pg_bin=${BENCH_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

# as_pg CMD...: PostgreSQL refuses to run as root; as nobody then.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	[ -x "$pg_bin/initdb" ] || return 1
	pg_dir=$(mktemp -d /tmp/hedui-bench-pg.XXXXXX) || return 1
	chmod 755 "$pg_dir"
	[ "$(id -u)" -eq 0 ] && chown nobody "$pg_dir"
	set -- $("$bin/hedui-bench" ports 1) || return 1
	pg_port=$1
	as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U hedui --auth=trust \
		>"$work/pg-initdb.log" 2>&1 || return 1
	as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
		-o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" \
		start >"$work/pg-start.log" 2>&1 || return 1
	return 0
}

pg_stop() {
	[ -n "$pg_dir" ] || return 0
	as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop \
		>/dev/null 2>&1
	cp "$pg_dir/server.log" "$work/pg-server.log" 2>/dev/null
	rm -rf "$pg_dir"
	pg_dir=
}

# A database of its own for each stack, as a fresh SQLite file is.
pg_fresh_db() {
	psql -q -h 127.0.0.1 -p "$pg_port" -U hedui -d postgres \
		-c "DROP DATABASE IF EXISTS hedui_bench" \
		-c "CREATE DATABASE hedui_bench" >/dev/null 2>&1
}

stores_part() {
	echo "== (f) the store: SQLite, PostgreSQL with one and two replicas," \
		"population $small, household $hh"
	start_stack "$pop_small" openssl
	run store-sqlite verify --household-size "$hh"
	stop_stack
	if ! pg_start; then
		echo "   PostgreSQL could not start ($pg_bin): see" \
			"$work/pg-*.log; (f) stops here"
		pg_stop
		return 0
	fi
	# PostgreSQL needs an audit key file named (one for every replica).
	head -c 32 /dev/urandom >"$work/pg.audit-key"
	chmod 600 "$work/pg.audit-key"
	for n in 1 2; do
		pg_fresh_db
		BENCH_STORE="postgresql://hedui@127.0.0.1:$pg_port/hedui_bench"
		BENCH_AUDIT_KEY=$work/pg.audit-key
		BENCH_REPLICAS=$n
		start_stack "$pop_small" openssl
		run "store-pg$n" verify --household-size "$hh"
		stop_stack
	done
	BENCH_STORE= BENCH_AUDIT_KEY= BENCH_REPLICAS=1
	pg_stop
	for l in store-sqlite store-pg1 store-pg2; do
		r=$(value "$l" verify rate)
		c=$(value "$l" verify cpu_us_per_op service-total)
		p=$(value "$l" verify p99_ms)
		e=$(value "$l" verify errors)
		echo "$l: $r verifications/s, service CPU $c us each, p99 $p ms," \
			"errors $e"
	done
	echo "PostgreSQL/SQLite throughput = $(ratio "$(value store-pg1 verify rate)" \
		"$(value store-sqlite verify rate)"), two replicas/one =" \
		"$(ratio "$(value store-pg2 verify rate)" "$(value store-pg1 verify rate)")"
}
