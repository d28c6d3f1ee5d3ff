# userspace/common.mk: what every Makefile under userspace/ shares,
# included by each after its own variables: the compiler flags, the
# sanitizer build of `make check`, the library (userspace/Makefile builds
# it; the programs' Makefiles, in etsmgrctl/, etscounter/ and
# supervisor/, ask it to), and the internal static library of
# userspace/common/ (notify, journal, io, report times, the monotonic
# clock, group names), built per program directory so that each works
# standalone, and a program directory's install and uninstall. A Makefile
# sets EXTRA_CFLAGS (more -I flags) and OBJ_CFLAGS (flags of its
# unsanitized objects only, e.g. -fPIC) first if it needs them.
#
# Objects go to build/ (build/check/ with ASan + UBSan); build/common/
# holds the internal library's objects and libetsmgr-common.a.

# userspace/, as the including Makefile reaches it: "." or "..".
USERSPACE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
# sd_notify(3) and sd_journal_sendv(3): libsystemd (libsystemd-dev).
SYSTEMD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsystemd)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd)
BASE_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	-I$(USERSPACE)/../include/uapi -I$(USERSPACE)/lib \
	-I$(USERSPACE)/common $(SYSTEMD_CFLAGS) $(EXTRA_CFLAGS)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# The library, and the same objects built with the sanitizers (what a
# program's `make check` links when its tests should see into the
# library too).
LIB := $(USERSPACE)/lib/libetsmgr.a
CHECK_LIB := $(USERSPACE)/build/check/libetsmgr.a

COMMON_SRCS := notify.c journal.c io.c reporttime.c monotonic.c group.c
COMMON_LIB := build/common/libetsmgr-common.a
CHECK_COMMON_LIB := build/check/common/libetsmgr-common.a

.DELETE_ON_ERROR:

# The library belongs to userspace/Makefile; a program's Makefile asks
# it, so that a change in the library's sources relinks the program too.
ifneq ($(USERSPACE),.)
.PHONY: lib check-lib
lib:
	$(MAKE) -C $(USERSPACE) lib/libetsmgr.a
check-lib:
	$(MAKE) -C $(USERSPACE) build/check/libetsmgr.a
$(LIB): lib ;
$(CHECK_LIB): check-lib ;

# install and uninstall of a program directory: the programs it names in
# BIN_PROGRAMS and SBIN_PROGRAMS, and its pages of Documentation/ in
# MAN_PAGES, each in the section its suffix says (etscounter.1: man1).
# They are set before the include: the recipe tests them as it is read.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
man_dir = $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))
installed = $(BIN_PROGRAMS:%=$(DESTDIR)$(BINDIR)/%) \
	$(SBIN_PROGRAMS:%=$(DESTDIR)$(SBINDIR)/%) \
	$(foreach page,$(MAN_PAGES),$(call man_dir,$(page))/$(page))

.PHONY: install uninstall
install: all
ifneq ($(BIN_PROGRAMS),)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BIN_PROGRAMS) $(DESTDIR)$(BINDIR)/
endif
ifneq ($(SBIN_PROGRAMS),)
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(SBIN_PROGRAMS) $(DESTDIR)$(SBINDIR)/
endif
	$(foreach page,$(MAN_PAGES),install -d $(call man_dir,$(page)) && \
		install -m 0644 $(USERSPACE)/../Documentation/$(page) \
			$(call man_dir,$(page))/ &&) true

uninstall:
	rm -f $(installed)
endif

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(OBJ_CFLAGS) -c -o $@ $<

build/check/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

build/common/%.o: $(USERSPACE)/common/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/check/common/%.o: $(USERSPACE)/common/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

$(COMMON_LIB): $(COMMON_SRCS:%.c=build/common/%.o)
	$(AR) rcs $@ $^

$(CHECK_COMMON_LIB): $(COMMON_SRCS:%.c=build/check/common/%.o)
	$(AR) rcs $@ $^
