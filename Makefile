# etsmgr top-level Makefile: the module (Kbuild), userspace, selftests, and
# the test and lint entry points. See README.md and DESIGN section 6.
#
#   make              module/etsmgr.ko, userspace, selftests
#   make demo         the seed's scenarios end to end, in a VM
#   make check        deps, build, lint, host unit tests, selftests in a VM
#   make lint         checkpatch --strict, sparse, W=1
#   make check-debug  compile against 6.12, then the selftests on a
#                     KASAN/lockdep/kmemleak kernel
#   make shell        a VM shell with the module loaded
#   make load/unload  on a host that can load modules

KDIR ?= $(shell scripts/kdir)
CC ?= gcc
MAKEFLAGS += --no-print-directory

UAPI_CFLAGS := -Iinclude/uapi
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $(UAPI_CFLAGS)
HARNESS_DIR := build/kernel-files/tools/testing/selftests
KERNEL_FILES := build/kernel-files/.stamp
SELFTEST_CFLAGS := $(USER_CFLAGS) -isystem $(HARNESS_DIR)
SELFTEST_LIBS := -lcap -lpthread
# Tests that speak generic netlink do it through libnl-genl-3.
NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
NETLINK_SELFTESTS := selftests/netlink_test selftests/reload_test
$(NETLINK_SELFTESTS): SELFTEST_CFLAGS += $(NL_CFLAGS)
$(NETLINK_SELFTESTS): SELFTEST_LIBS += $(NL_LIBS)

SELFTESTS := $(patsubst %.c,%,$(wildcard selftests/*_test.c))
HOST_TESTS := $(patsubst %.c,%,$(wildcard selftests/host/*_test.c))
SELFTEST_HEADERS := $(wildcard selftests/*.h) include/uapi/linux/etsmgr.h

.PHONY: all module userspace selftests host-tests unit check check-debug lint shell \
	load unload clean deps kernel-files demo

all: module userspace selftests

module:
	@test -n "$(KDIR)" || { echo "make: no kernel headers found (run scripts/deps)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace
	$(MAKE) -C userspace/etscounter

# Built by `make userspace`; ets-tool relinks only when it changed.
userspace/lib/libetsmgr.a: userspace ;

selftests/ets-tool: selftests/ets-tool.c userspace/lib/etsmgr.h \
		userspace/lib/libetsmgr.a
	$(CC) $(USER_CFLAGS) -Iuserspace/lib -o $@ $< userspace/lib/libetsmgr.a

$(KERNEL_FILES):
	scripts/kernel-files

kernel-files: $(KERNEL_FILES)

selftests: $(SELFTESTS) selftests/ets-tool

$(SELFTESTS): %: %.c $(SELFTEST_HEADERS) $(KERNEL_FILES)
	$(CC) $(SELFTEST_CFLAGS) -o $@ $< $(SELFTEST_LIBS)

host-tests: $(HOST_TESTS)

$(HOST_TESTS): %: %.c $(SELFTEST_HEADERS) $(KERNEL_FILES)
	$(CC) $(SELFTEST_CFLAGS) -fsanitize=address,undefined -o $@ $<

# Host-side unit tests: no module needed.
unit: host-tests $(KERNEL_FILES)
	@for t in $(HOST_TESTS); do echo "unit: $$t"; ./$$t || exit 1; done
	$(MAKE) -C userspace check
	$(MAKE) -C userspace/etscounter check

deps:
	scripts/deps

check:
	scripts/deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	@scripts/run-selftests

lint: $(KERNEL_FILES)
	scripts/lint

# The suite on a debug kernel (KASAN, lockdep, kmemleak...), built once
# per machine (20-30 minutes) and cached in /var/cache/etsmgr.
check-debug:
	scripts/deps
	scripts/compile-6.12
	@scripts/check-debug

# The seed's two examples, replayed in a VM (a test too: exit 1 on a
# wrong number).
demo:
	scripts/deps
	$(MAKE) all
	scripts/vm-run -- scripts/demo

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
	$(MAKE) -C userspace/etscounter clean

# The uAPI header must stand alone, in C99 and C++ as well.
unit: header-check
.PHONY: header-check
header-check:
	@echo '#include <linux/etsmgr.h>' | $(CC) -std=c99 -Wall -Wextra -Werror -pedantic $(UAPI_CFLAGS) -x c -fsyntax-only -
	@echo '#include <linux/etsmgr.h>' | g++ -Wall -Wextra -Werror $(UAPI_CFLAGS) -x c++ -fsyntax-only -
	@echo "unit: include/uapi/linux/etsmgr.h stands alone (C99, C++)"
