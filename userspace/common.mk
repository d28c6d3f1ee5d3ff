# userspace/common.mk: what the Makefiles of the programs under userspace/
# (etscounter/, supervisor/) share, included by each after its own
# variables: the compiler flags, the sanitizer build of `make check`, the
# library, and the internal static library of userspace/common/ (notify,
# journal, io, report times), built per program directory so that each
# works standalone. A Makefile sets EXTRA_CFLAGS (more -I flags) first if
# it needs them.
#
# Objects go to build/ (build/check/ with ASan + UBSan); build/common/
# holds the internal library's objects and libetsmgr-common.a.

CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
# sd_notify(3) and sd_journal_sendv(3): libsystemd (libsystemd-dev).
SYSTEMD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsystemd)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd)
BASE_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	-I../../include/uapi -I../lib -I../common $(SYSTEMD_CFLAGS) \
	$(EXTRA_CFLAGS)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LIB := ../lib/libetsmgr.a

COMMON_SRCS := notify.c journal.c io.c reporttime.c
COMMON_LIB := build/common/libetsmgr-common.a
CHECK_COMMON_LIB := build/check/common/libetsmgr-common.a

.DELETE_ON_ERROR:

# The library belongs to userspace/Makefile; ask it, so that a change in
# the library's sources relinks us too.
.PHONY: lib
lib:
	$(MAKE) -C .. lib/libetsmgr.a
$(LIB): lib ;

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/check/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

build/common/%.o: ../common/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/check/common/%.o: ../common/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

$(COMMON_LIB): $(COMMON_SRCS:%.c=build/common/%.o)
	$(AR) rcs $@ $^

$(CHECK_COMMON_LIB): $(COMMON_SRCS:%.c=build/check/common/%.o)
	$(AR) rcs $@ $^
