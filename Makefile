# Makefile: builds every program in cmd/ into bin/, libcommon, the tests, and installs.
#
# A program is a folder cmd/ts-NAME/ whose .c files (and those of its
# subfolders) link with libcommon. Its extra flags and libraries live in
# cmd/ts-NAME/local.mk as ts-NAME_CFLAGS and ts-NAME_LIBS, so adding a
# program touches no other file. Likewise a unit test tests/unit/test_X.c may
# name extra objects and libraries in tests/unit/test_X.mk.

include config.mk

# the included .mk files below define rules of their own; plain `make` builds the programs
.DEFAULT_GOAL := all

ifeq ($(SANITIZE),1)
OUT := $(BUILD)/bin
else
OUT := bin
endif

PROGS      := $(notdir $(patsubst %/,%,$(wildcard cmd/ts-*/)))
LIB_SRC    := $(wildcard libcommon/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON  := $(BUILD)/libcommon.a
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC  := $(wildcard bench/*/*.c)
MANPAGES   := $(wildcard man/*.[1-8])

-include $(wildcard cmd/*/local.mk)
-include $(wildcard tests/unit/*.mk)

all: $(PROGS:%=$(OUT)/%)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# --version's string (config.mk's VERSION) is compiled into log.o alone
$(BUILD)/libcommon/log.o: CFLAGS += -DTS_VERSION='"$(VERSION)"'
$(BUILD)/libcommon/log.o: config.mk

$(LIBCOMMON): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

define PROG_template
$(1)_SRC := $$(wildcard cmd/$(1)/*.c cmd/$(1)/*/*.c)
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/cmd/$(1)/%.o: CFLAGS += $$($(1)_CFLAGS)
$(OUT)/$(1): $$($(1)_OBJ) $(LIBCOMMON)
	@mkdir -p $$(@D)
	$(CC) $(LDFLAGS) -o $$@ $$($(1)_OBJ) $(LIBCOMMON) $$($(1)_LIBS) $(COMMON_LIBS)
-include $$($(1)_OBJ:.o=.d)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_template,$(p))))

define TEST_template
$(BUILD)/tests/$(1): $(BUILD)/tests/unit/$(1).o $$($(1)_OBJS:%=$(BUILD)/%) $(LIBCOMMON)
	@mkdir -p $$(@D)
	$(CC) $(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS) $(COMMON_LIBS)
$(BUILD)/tests/unit/$(1).o: CFLAGS += $$($(1)_CFLAGS)
endef
$(foreach t,$(UNIT_SRC:tests/unit/%.c=%),$(eval $(call TEST_template,$(t))))

-include $(LIB_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d)

tests: $(UNIT_BIN)

# make check: build everything, run every unit and end-to-end test, and end
# with one line "N passed, N failed". TESTS=pattern narrows the run.
check: all tests
	@TS_BIN=$(CURDIR)/$(OUT) TS_BUILD=$(CURDIR)/$(BUILD) sh tests/run $(TESTS)

bench: all
	@sh bench/run

soak: all tests
	@TS_BIN=$(CURDIR)/$(OUT) TS_BUILD=$(CURDIR)/$(BUILD) TS_SOAK=1 sh tests/run soak

# make fuzz: libFuzzer harnesses (clang), FUZZ_SECONDS each; see fuzz/run
.PHONY: fuzz
fuzz: ; @sh fuzz/run

demo: all
	@sh scripts/demo

EXAMPLES   := $(wildcard examples/*)
UNITS      := $(wildcard systemd/system/*.service)
USERUNITS  := $(wildcard systemd/user/*.service)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(COMPLETIONDIR)
	install -m 755 $(PROGS:%=$(OUT)/%) $(DESTDIR)$(BINDIR)
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	for u in $(USERUNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(USERUNITDIR)/$${u##*/} || exit 1; done
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples
	install -m 644 completions/tradesuite.bash $(DESTDIR)$(COMPLETIONDIR)/tradesuite
	for p in $(PROGS); do ln -sf tradesuite $(DESTDIR)$(COMPLETIONDIR)/$$p || exit 1; done

# make uninstall: remove what make install put in place (same PREFIX and
# DESTDIR), and the directories of ours it leaves empty
uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%)
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(UNITS:systemd/system/%=$(DESTDIR)$(UNITDIR)/%)
	rm -f $(USERUNITS:systemd/user/%=$(DESTDIR)$(USERUNITDIR)/%)
	rm -f $(EXAMPLES:examples/%=$(DESTDIR)$(DOCDIR)/examples/%)
	rm -f $(DESTDIR)$(COMPLETIONDIR)/tradesuite $(PROGS:%=$(DESTDIR)$(COMPLETIONDIR)/%)
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf bin build build-san tests/out

.PHONY: all tests check bench soak demo install uninstall clean
