# etsmgr top-level Makefile: the module (Kbuild), userspace, selftests, and
# the test and lint entry points. See README.md and DESIGN section 6.
#
#   make              module/etsmgr.ko (KERNEL=6.12 for another kernel),
#                     userspace, selftests
#   make modules      etsmgr.ko for each kernel of the suite (6.1, 6.12)
#   make demo         the seed's scenarios end to end, in a VM
#   make check        deps, build, lint, host unit tests (doc/header drift
#                     too), make deb, the selftests in a VM on each kernel
#                     of the suite (KERNELS=6.1 narrows it;
#                     packaging_test.sh installs the .debs there)
#   make lint         checkpatch --strict, sparse, W=1
#   make check-debug  compile against 6.12, then the selftests on a
#                     KASAN/lockdep/kmemleak kernel
#   make shell        a VM shell with the module loaded
#   make bench        benchmarks against memfd, shm, SCM_RIGHTS, Erlang and
#                     Redis in one VM, and the counters natively on the
#                     host (bench/bench-native.sh); writes bench/results.md
#   make load/unload  on a host that can load modules
#   make install      userspace, library, headers, man pages, udev rule,
#                     modules-load.d entry, systemd units (PREFIX, DESTDIR);
#                     make uninstall removes them
#   make modules_install  etsmgr.ko, the Kbuild way (DESTDIR as
#                     INSTALL_MOD_PATH); make dkms_source: the module's
#                     source and dkms.conf under /usr/src for DKMS
#   make docs         Documentation/etsmgr.rst (rst2html, warnings are
#                     errors), man pages (mandoc -Tlint), header/doc drift
#   make deb          Debian packages in build/deb, checked by lintian

# The kernel `make module` builds for: KERNEL=6.12 (a release or its
# leading part) chooses; the default is the running kernel's headers, else
# Debian 12's default line (scripts/kernels --default), never silently the
# newest header set.  `make modules` and `make check` build for every
# kernel of the suite (scripts/kernels; KERNELS=6.1 narrows it).
KERNEL ?=
KDIR ?= $(shell KERNEL='$(KERNEL)' scripts/kdir)
CC ?= gcc
MAKEFLAGS += --no-print-directory

UAPI_CFLAGS := -Iinclude/uapi
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $(UAPI_CFLAGS)
HARNESS_DIR := build/kernel-files/tools/testing/selftests
KERNEL_FILES := build/kernel-files/.stamp
SELFTEST_CFLAGS := $(USER_CFLAGS) -isystem $(HARNESS_DIR)

# selftests/Makefile (a kselftest target on the kernel's lib.mk) builds
# the selftests; this list is only for clean.
SELFTESTS := $(patsubst %.c,%,$(wildcard selftests/*_test.c))
HOST_TESTS := $(patsubst %.c,%,$(wildcard selftests/host/*_test.c))
SELFTEST_HEADERS := $(wildcard selftests/*.h) include/uapi/linux/etsmgr.h

.PHONY: all module userspace selftests host-tests unit check check-debug lint shell \
	load unload clean deps kernel-files demo kselftest kselftest-install

all: module userspace selftests

module:
	@test -n "$(KDIR)" || { echo "make: no kernel headers found (run scripts/deps)" >&2; exit 1; }
	@echo "module: etsmgr.ko for $(KDIR) (KERNEL=... chooses another)"
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# etsmgr.ko for every kernel of the suite, in build/kernels/<release>/.
.PHONY: modules
modules:
	scripts/build-module $$(scripts/kernels)

userspace:
	$(MAKE) -C userspace

$(KERNEL_FILES): scripts/kernel-files
	scripts/kernel-files

kernel-files: $(KERNEL_FILES)

# The programs (and ets-tool) of selftests/Makefile; after userspace, which
# it links and whose programs the shell tests run.
selftests: userspace $(KERNEL_FILES)
	$(MAKE) -C selftests

# The selftests the kselftest way (selftests/Makefile, kselftest's
# runner.sh): `make kselftest` runs them here (as root, the module
# loaded; in a VM: scripts/vm-run -- make -C selftests run_tests);
# `make kselftest-install` installs them with run_kselftest.sh in
# KSFT_INSTALL_PATH (the kernel's name; default build/kselftest_install).
KSFT_INSTALL_PATH ?= build/kselftest_install
kselftest: selftests
	$(MAKE) -C selftests run_tests

kselftest-install: selftests
	scripts/deps --only rsync
	$(MAKE) -C selftests install INSTALL_PATH=$(abspath $(KSFT_INSTALL_PATH))

host-tests: $(HOST_TESTS)

$(HOST_TESTS): %: %.c $(SELFTEST_HEADERS) $(KERNEL_FILES)
	$(CC) $(SELFTEST_CFLAGS) -fsanitize=address,undefined -o $@ $<

# Host-side unit tests: no module needed.
unit: host-tests $(KERNEL_FILES)
	@for t in $(HOST_TESTS); do echo "unit: $$t"; ./$$t || exit 1; done
	$(MAKE) -C userspace check

deps:
	scripts/deps

# fuzz_test's memory pressure needs stress-ng; check-debug's trinity_test.sh
# needs trinity too (the guest runs the host's programs).
# The .debs are built before the VM run: selftests/packaging_test.sh
# installs them in the guest (DKMS compiling there makes it the longest
# test, 15-30 minutes under emulation on a busy host: hence the longer
# VM timeout).
check:
	scripts/deps stress-ng $(DEB_DEPS)
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) deb
	@scripts/run-selftests --timeout 3600

lint: $(KERNEL_FILES)
	scripts/lint

# The suite on a debug kernel (KASAN, lockdep, kmemleak...), built once
# per machine (20-30 minutes) and cached in /var/cache/etsmgr, then on
# Debian's PREEMPT_RT 6.12 kernel (scripts/check-debug).
check-debug:
	scripts/deps stress-ng trinity linux-image-6.12-rt-amd64 \
		linux-headers-6.12-rt-amd64
	scripts/compile-6.12
	@scripts/check-debug

# The seed's two examples, replayed in a VM (a test too: exit 1 on a
# wrong number).
demo:
	scripts/deps
	$(MAKE) all
	scripts/vm-run -- scripts/demo

# Benchmarks, side by side with their peers in one VM (10-15 minutes),
# after the native counter rows on the host (about 2 minutes): prints the table and writes bench/results.md. See bench/README.md.
.PHONY: bench
bench:
	scripts/deps erlang-base erlang-dev rebar3 redis-server redis-tools iproute2
	$(MAKE) all
	$(MAKE) -C bench
	scripts/bench

shell:
	scripts/deps
	$(MAKE) all
	scripts/vm-run --interactive -- bash --rcfile scripts/shellrc -i

load: module
	insmod module/etsmgr.ko

unload:
	rmmod etsmgr

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f $(SELFTESTS) $(HOST_TESTS) selftests/ets-tool
	rm -rf build
	$(MAKE) -C userspace clean

# The uAPI header must stand alone, in C99 and C++ as well.
unit: header-check
.PHONY: header-check
header-check:
	@echo '#include <linux/etsmgr.h>' | $(CC) -std=c99 -Wall -Wextra -Werror -pedantic $(UAPI_CFLAGS) -x c -fsyntax-only -
	@echo '#include <linux/etsmgr.h>' | g++ -Wall -Wextra -Werror $(UAPI_CFLAGS) -x c++ -fsyntax-only -
	@echo "unit: include/uapi/linux/etsmgr.h stands alone (C99, C++)"

# Documentation/etsmgr.rst names every ioctl, command, attribute, event
# and structure of the uAPI header, and no other; then the same check
# must catch a name taken out of the document.
unit: doc-drift
.PHONY: doc-drift
doc-drift:
	@mkdir -p build
	@scripts/doc-drift
	@sed '/ETSMGR_IOC_GIVE/d' Documentation/etsmgr.rst > build/doc-drift-probe.rst
	@if scripts/doc-drift --doc build/doc-drift-probe.rst > /dev/null; then \
		echo "unit: doc-drift missed ETSMGR_IOC_GIVE taken out of the document" >&2; \
		exit 1; \
	fi
	@rm -f build/doc-drift-probe.rst

# ------------------------------------------------------------ install

# The version is dkms.conf's (scripts/doc-drift checks that the others
# agree).
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/etsmgr
SYSCONFDIR ?= /etc
# systemd and udev read these under /usr/local/lib too.
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DKMSSRCDIR ?= /usr/src/etsmgr-$(VERSION)

INSTALL_DIRS = PREFIX=$(PREFIX) BINDIR=$(BINDIR) SBINDIR=$(SBINDIR) \
	LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) MANDIR=$(MANDIR) \
	DESTDIR=$(DESTDIR)
DIST_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'
UNITS := etscounter.service etscounter.socket etssup@.service
DKMS_SOURCES := $(filter-out %.mod.c,$(wildcard module/*.c)) \
	$(wildcard module/*.h) module/Kbuild

.PHONY: install uninstall modules_install dkms_source docs deb

install:
	$(MAKE) -C userspace install $(INSTALL_DIRS)
	install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(MODULESLOADDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 dist/60-etsmgr.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 dist/etsmgr-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/etsmgr.conf
	for u in $(UNITS); do \
		$(DIST_SUBST) dist/$$u.in > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	$(DIST_SUBST) dist/etssup.conf.example > \
		$(DESTDIR)$(DOCDIR)/examples/etssup.conf
	chmod 0644 $(DESTDIR)$(DOCDIR)/examples/etssup.conf
	install -m 0644 Documentation/etsmgr.rst $(DESTDIR)$(DOCDIR)/

uninstall:
	$(MAKE) -C userspace uninstall $(INSTALL_DIRS)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-etsmgr.rules \
		$(DESTDIR)$(MODULESLOADDIR)/etsmgr.conf \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(DOCDIR)/examples/etssup.conf \
		$(DESTDIR)$(DOCDIR)/etsmgr.rst
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# Into /lib/modules/<release>/extra, then depmod (the kernel's rules).
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install

dkms_source:
	install -d $(DESTDIR)$(DKMSSRCDIR)/module \
		$(DESTDIR)$(DKMSSRCDIR)/include/uapi/linux
	install -m 0644 dkms.conf Kbuild $(DESTDIR)$(DKMSSRCDIR)/
	install -m 0644 $(DKMS_SOURCES) $(DESTDIR)$(DKMSSRCDIR)/module/
	install -m 0644 include/uapi/linux/etsmgr.h \
		$(DESTDIR)$(DKMSSRCDIR)/include/uapi/linux/

# The systemd units as `make install` writes them, SBINDIR being the build
# tree's programs, through systemd's own `systemd-analyze verify`.
unit: verify-units
.PHONY: verify-units
verify-units: SBINDIR = $(CURDIR)/build/units/sbin
verify-units: userspace
	@rm -rf build/units
	@mkdir -p $(SBINDIR)
	@ln -s $(CURDIR)/userspace/supervisor/etssup \
		$(CURDIR)/userspace/etscounter/etscounterd $(SBINDIR)/
	@for u in $(UNITS); do \
		$(DIST_SUBST) dist/$$u.in > build/units/$$u || exit 1; \
	done
	@scripts/verify-units build/units

# ------------------------------------------------------- docs and deb

# Only what these targets need (scripts/deps --only): they also run on a
# real Debian or Ubuntu host, which needs no QEMU or kernel images.
DOC_DEPS := python3 python3-docutils mandoc
DEB_DEPS := build-essential dpkg-dev debhelper dh-dkms dkms lintian fakeroot \
	git pkg-config libnl-genl-3-dev libcap-dev libjson-c-dev libsystemd-dev
MANPAGES := $(wildcard Documentation/*.[1-8])

docs:
	scripts/deps --only $(DOC_DEPS)
	@mkdir -p build/docs
	rst2html --halt=warning --report=warning Documentation/etsmgr.rst \
		build/docs/etsmgr.html
	@echo "docs: Documentation/etsmgr.rst -> build/docs/etsmgr.html, no warning"
	@out=$$(mandoc -Tlint $(MANPAGES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "docs: mandoc -Tlint: $(notdir $(MANPAGES)) clean"
	scripts/doc-drift

deb:
	scripts/deps --only $(DEB_DEPS)
	scripts/build-deb
