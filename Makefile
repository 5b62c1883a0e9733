# OneWindow — the two commands of the README, and the benchmarks.
#   make demo   install what is missing, build, run the kiosk on simulated devices + a private CUPS
#   make test   install what is missing, build, run every test
#   make bench  install what is missing, release build, print the benchmark figures
SWIFT ?= swift
DEMO_PORT ?= 8080
DEMO_CUPS_PORT ?= 8631

.PHONY: demo test bench bench-api bench-screen bench-busy bench-hall screens build bootstrap clean fixtures install udev-rules bench-crash bench-soak

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

demo: build
	@scripts/demo.sh $(DEMO_PORT) $(DEMO_CUPS_PORT)

# The suites that start many servers at once (hall mode: a PostgreSQL and several kioskd each;
# the crash-point run; the browser) run after the rest and one at a time: run beside the whole
# suite on two cores they starved the wall-clock bounds of the device and browser tests.
HEAVY_TESTS := HallTests\.|CrashPointTests|TouchScreenBrowserTests
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(HEAVY_TESTS)'
	$(SWIFT) test --skip-build --filter '$(HEAVY_TESTS)' --no-parallel

bench: bootstrap
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product kiosk-bench
	.build/release/kiosk-bench kiosk-config

# The API's figures on a real kioskd: wrk health p99 at 64 connections, idle RSS, RSS over 10,000
# citizen journeys (about half an hour; JOURNEYS=1000 for a quicker look).
JOURNEYS ?= 10000
bench-api: bootstrap
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product kiosk-bench
	.build/release/kiosk-bench kiosk-config --only api --journeys $(JOURNEYS)

# The touch screen's figures in a real headless Chromium against a release kioskd: attract screen
# interactive, card read → masked name painted, asset bytes, JS heap over 200 journeys.
bench-screen: bootstrap
	$(SWIFT) build -c release --product kioskd
	/usr/bin/python3 scripts/bench-screen.py --kioskd .build/release/kioskd --journeys $(or $(SCREEN_JOURNEYS),200)

# A busy kiosk: camera preview p50/p99 at 4/s and health p99 at 20/s while a citizen uploads 5 MB
# pages back to back and submits, and the outbox relay drains a 10,000-row backlog to a fake
# platform on loopback (a few minutes). BEFORE=path/to/old/kioskd measures that binary and this
# build alternately in one run (BUSY_ROUNDS runs each, default 2); BUSY_ARGS passes more options.
bench-busy: bootstrap
	$(SWIFT) build -c release --product kioskd
	/usr/bin/python3 scripts/bench-busy.py $(if $(BEFORE),--before $(BEFORE) --after,--kioskd) .build/release/kioskd \
		$(if $(BUSY_ROUNDS),--rounds $(BUSY_ROUNDS)) $(BUSY_ARGS)

# Hall mode on real kioskd processes and a private PostgreSQL: ticket issue with 4 kiosks at once
# (p50/p99), call-next (p99), SSE fan-out of the calls to 20 hall displays.
bench-hall: bootstrap
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product kioskctl
	/usr/bin/python3 scripts/bench-hall.py --kioskd .build/release/kioskd $(HALL_BENCH_ARGS)

# Soak: 24 hall hours in compressed time (kioskd's hidden --test-clock-rate; 12 min at the default
# 120×) under the crash test's mixed workload; samples kioskd's RSS, open descriptors and SQLite
# size, checks them against stated bounds, writes soak.png. SOAK_ARGS passes more options
# (--hall-hours, --rate, --png, --out; scripts/bench-soak.py --help).
bench-soak: bootstrap
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product kioskctl
	/usr/bin/python3 scripts/bench-soak.py --kioskd .build/release/kioskd --kioskctl .build/release/kioskctl $(SOAK_ARGS)

# Re-takes the screenshots in docs/screens/ (the browser test, writing into the repository).
screens: bootstrap
	$(SWIFT) build --build-tests
	ONEWINDOW_SCREENSHOTS=$(CURDIR)/docs/screens $(SWIFT) test --skip-build --filter TouchScreenBrowserTests

clean:
	rm -rf .build .demo
fixtures:
	swift build --product kiosk-fixtures
	.build/debug/kiosk-fixtures devices

# Installs kioskd, kioskctl, the configuration (never over a hall's own files), the device
# profiles, the systemd units and the udev rules (scripts/install.sh; DESTDIR=… stages into a tree,
# PREFIX, CONFDIR, STATEDIR, UNITDIR, UDEVDIR, KIOSK_USER move things).
install:
	$(SWIFT) build -c release --product kioskd
	$(SWIFT) build -c release --product kioskctl
	scripts/install.sh

# Regenerates deploy/udev/70-onewindow.rules from devices/ (a test keeps the two in step).
udev-rules:
	$(SWIFT) build --product kioskctl
	.build/debug/kioskctl udev rules --profiles devices -o deploy/udev/70-onewindow.rules

# The crash-point test with 50 random SIGKILLs (make test runs 5): a real kioskd under a mixed
# workload, invariants checked after every restart; prints its figures. CRASH_SEED changes the points.
bench-crash: bootstrap
	$(SWIFT) build --build-tests
	ONEWINDOW_CRASH_POINTS=$(or $(CRASH_POINTS),50) $(if $(CRASH_SEED),ONEWINDOW_CRASH_SEED=$(CRASH_SEED)) \
		$(SWIFT) test --skip-build --filter CrashPointTests
