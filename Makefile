# cvmkit — see README.md.  `make help` lists the targets.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
VERSION := 0.1.0

# pkg-config answers only once `make deps` has installed the -dev packages, and
# make reads these when it parses this file: so every target that installs them
# first (check, demo, e2e, fuzz, bench) runs deps and then a second make, which
# parses this file again and gets the flags (see "after deps" below).
PKGS     := libcrypto nettle json-c tss2-mu tss2-esys tss2-tctildr tss2-rc yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libtss2 is dlopen()ed when a TPM is used (measurer/lib/tpm2_dlopen.c), and
# libcrypto when a file is hashed or a signature checked (crypto_dlopen.c):
# their headers are needed to build libcvm, not their libraries to link it.
# What calls them directly links TSS2_LIBS or CRYPTO_LIBS.
LINK_PKGS  := nettle json-c yaml-0.1
PKG_LIBS   := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -pthread
TSS2_LIBS  := $(shell pkg-config --libs tss2-mu tss2-esys tss2-tctildr tss2-rc 2>/dev/null)
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null)
# initrd/ adds libarchive and the codecs it finds segment ends with (libbz2 has no .pc).
INITRD_PKGS := libarchive zlib libzstd liblzma libisal
INITRD_LIBS := $(shell pkg-config --libs $(INITRD_PKGS) 2>/dev/null) -lbz2
# rewriter/ adds libguestfs and crypt(3) (the password step).
REWRITE_LIBS := $(shell pkg-config --libs libguestfs 2>/dev/null) -lcrypt

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
# Include paths say what a part may use: base/include (cvmbase/, every part) and
# the public headers (cvm/).  libcvm's private headers (measurer/lib) are found
# by its own sources beside them, and by its own unit tests and fuzzers only.
CPPFLAGS += -Ibase/include -Imeasurer/include -Iinitrd/include -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARN) -fPIC $(CFLAGS) $(PKG_CFLAGS)

BASE_SRCS := $(sort $(wildcard base/*.c))
LIB_SRCS := $(sort $(wildcard measurer/lib/*.c))
CLI_SRCS := $(sort $(wildcard measurer/cli/*.c))
EVD_SRCS := $(sort $(wildcard measurer/evidenced/*.c))
INITRD_LIB_SRCS := $(sort $(wildcard initrd/lib/*.c))
INITRD_CLI_SRCS := $(sort $(wildcard initrd/cli/*.c))
REWRITE_SRCS := $(sort $(wildcard rewriter/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

BASE_OBJS := $(BASE_SRCS:%.c=$(BUILD)/obj/%.o)
# libcvm carries the base inside it: a tool links libcvm.a alone.
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BASE_OBJS)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
EVD_OBJS := $(EVD_SRCS:%.c=$(BUILD)/obj/%.o)
INITRD_LIB_OBJS := $(INITRD_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
INITRD_CLI_OBJS := $(INITRD_CLI_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/initrd/cli/launcher_blob.o
REWRITE_OBJS := $(REWRITE_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

BINS := $(BUILD)/bin/cvm-evidence $(BUILD)/bin/cvm-measure $(BUILD)/bin/cvm-initrd $(BUILD)/bin/cvm-rewrite
BINS += $(BUILD)/bin/cvm-evidenced
# What cvm-measure shares with cvm-evidence: the backend options.
MEASURE_OBJS := $(BUILD)/obj/measurer/measure/cvm-measure.o $(BUILD)/obj/measurer/cli/backend.o
# libcvm's headers beside the library, as installed, for cvm-rewrite's library step.
LIB_HDRS := $(patsubst measurer/include/%,$(BUILD)/include/%,$(sort $(wildcard measurer/include/cvm/*.h)))
LIBS := $(BUILD)/lib/libcvmbase.a $(BUILD)/lib/libcvm.a $(BUILD)/lib/libcvm.so $(BUILD)/lib/cvm.pc $(BUILD)/lib/libcvminitrd.a $(LIB_HDRS)

# Debian 12 packages, in three sets: what building needs (make, make deb), what
# running the tools needs (rewriting images under libguestfs, booting them with
# cvm-vm), and what the tests, sanitizers, fuzzers and the closed loop add.
DEPS_BUILD := gcc make pkg-config libssl-dev nettle-dev libjson-c-dev libtss2-dev libyaml-dev libarchive-dev \
        zlib1g-dev libzstd-dev liblzma-dev libbz2-dev libisal-dev libguestfs-dev scdoc dpkg-dev debhelper fakeroot \
        musl-tools
DEPS_RUN := libguestfs-tools linux-image-amd64 qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools tpm2-tools \
        libtss2-tcti-device0 fuse3 xxd jq python3
DEPS_TEST := libcmocka-dev bats shellcheck clang libclang-rt-14-dev llvm valgrind \
        initramfs-tools cpio zstd xz-utils bzip2 lz4 busybox-static \
        debootstrap dosfstools mtools gdisk libvirt-clients libxml2-utils lintian btrfs-progs
DEPS := $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_TEST)

.PHONY: install-guest deb deps-build deps-run deps-test
.PHONY: all man deps check unit bats asan valgrind fuzz fuzz-build bench install clean help demo e2e clean-cache \
        build-deps after-deps-check after-deps-demo after-deps-e2e after-deps-fuzz after-deps-bench

all: $(BINS) $(LIBS) man

# Every object waits for this check, so a build without the -dev packages stops
# at once naming them instead of at the first missing header.
build-deps:
	@if ! pkg-config --exists $(PKGS) $(INITRD_PKGS) libguestfs 2>/dev/null; then \
		echo "missing build dependencies (pkg-config: $$(for p in $(PKGS) $(INITRD_PKGS) libguestfs; do \
			pkg-config --exists $$p 2>/dev/null || printf '%s ' $$p; done))" >&2; \
		echo "run 'make deps-build' (as root it installs them; otherwise it prints the apt-get command)" >&2; \
		exit 1; \
	fi
	@command -v musl-gcc >/dev/null || { echo "missing build dependency: musl-gcc (the bundle launcher); run 'make deps-build'" >&2; exit 1; }

# After deps: each of these installs the packages, then runs a second make that
# reads the pkg-config flags afresh (a fresh machine's first `make demo` links).
check demo e2e fuzz bench: deps
	@$(MAKE) --no-print-directory after-deps-$@

help:
	@echo "make            build into $(BUILD)/ (bin/, lib/)"
	@echo "make deps       install the Debian packages needed (as root), or print the command"
	@echo "make deps-build, deps-run, deps-test  the same for building, running the tools, testing"
	@echo "make check      build and run every test, then again under ASan+UBSan and valgrind"
	@echo "make fuzz       run each libFuzzer harness for FUZZ_SECONDS (default 60)"
	@echo "make bench      benchmarks against peer tools, printed as ratios"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=... [LIBDIR=$(PREFIX)/lib/$(MULTIARCH)]"
	@echo "make install-guest  DESTDIR=...: the measurer, its policy, initramfs/dracut hooks, systemd units"
	@echo "make deb        Debian packages cvmkit, cvmkit-guest, libcvm0, libcvm-dev into $(BUILD)/deb/"
	@echo "make demo       build a Debian 12 guest, rewrite it, boot it (QEMU+OVMF+swtpm), verify its evidence"
	@echo "make e2e        the same closed loop as a test (also run by .ci/run)"
	@echo "make softtdx    the soft TDX guest device (tests/softtdx) for the e2e guest's kernel"
	@echo "make clean-cache  drop the cached base guest images ($(CVM_CACHE))"

# deps_install PACKAGES: install the missing ones (as root), else print the command.
define deps_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing:" $$missing >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >&2; \
	else \
		echo "deps: missing Debian packages; run:" >&2; \
		echo "  sudo apt-get install -y" $$missing >&2; exit 1; \
	fi
endef

deps:
	$(call deps_install,$(DEPS))
deps-build:
	$(call deps_install,$(DEPS_BUILD))
deps-run:
	$(call deps_install,$(DEPS_RUN))
deps-test:
	$(call deps_install,$(DEPS_TEST))

$(BUILD)/obj/%.o: %.c | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/lib/libcvmbase.a: $(BASE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/libcvm.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# A direct call into a dlopen()ed library fails to link (sanitizers resolve their runtime at load time, so not there).
NO_UNDEFINED = $(if $(findstring -fsanitize,$(CFLAGS)),,-Wl,--no-undefined)

# libcvm.so exports its API and nothing else: its objects (the base inside it
# too) are hidden unless a public header declares them (those headers push
# default visibility), and libcvm.sym names the ABI, version CVM_0.1.
$(LIB_OBJS): ALL_CFLAGS += -fvisibility=hidden

$(BUILD)/lib/libcvm.so: $(LIB_OBJS) measurer/lib/libcvm.sym
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libcvm.so.0 -Wl,--version-script=measurer/lib/libcvm.sym $(NO_UNDEFINED) $(CFLAGS) -o $@ $(LIB_OBJS) $(PKG_LIBS)

$(BUILD)/include/cvm/%.h: measurer/include/cvm/%.h
	@mkdir -p $(dir $@)
	cp $< $@

# cvm.pc for a prefix; `make install` writes its own for the PREFIX it installs to.
make_pc = sed -e 's|@PREFIX@|$(1)|g' -e 's|@LIBDIR@|$(patsubst $(1)/%,$${prefix}/%,$(or $(2),$(1)/lib))|g' \
        -e 's|@INCLUDEDIR@|$(patsubst $(1)/%,$${prefix}/%,$(or $(3),$(1)/include))|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@REQUIRES@|$(LINK_PKGS)|g' measurer/cvm.pc.in

$(BUILD)/lib/cvm.pc: measurer/cvm.pc.in Makefile
	@mkdir -p $(dir $@)
	$(call make_pc,$(PREFIX)) > $@

# The programs a bundle step carries into guests (plugins 50 and 51 take them from
# the folder cvm-rewrite runs from) keep their debug info beside them, in
# bin/.debug/NAME.debug, found by gdb and valgrind through .gnu_debuglink: so a
# checkout's bundle is what the package ships (dh_strip), not 580 KB more per
# program in every initramfs.  Sanitizer builds keep theirs in place, for their
# reports; the package build sets SPLIT_DEBUG=no and leaves it to dh_strip.
SPLIT_DEBUG ?= $(if $(findstring -fsanitize,$(CFLAGS)),no,yes)
define split_debug
$(if $(filter yes,$(SPLIT_DEBUG)),
	@mkdir -p $(dir $@).debug
	objcopy --only-keep-debug --compress-debug-sections $@ $(dir $@).debug/$(notdir $@).debug && \
		objcopy --strip-debug --add-gnu-debuglink=$(dir $@).debug/$(notdir $@).debug $@ || { rm -f $@; exit 1; })
endef

# Tools link libcvm statically so they run from the build tree and install anywhere.
$(BUILD)/bin/cvm-evidence: $(CLI_OBJS) $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/lib/libcvm.a $(PKG_LIBS)
	$(split_debug)

# The evidence service (measurer/evidenced/): libcvm's public API, the base, the shared backend options, json-c.
$(BUILD)/bin/cvm-evidenced: $(EVD_OBJS) $(BUILD)/obj/measurer/cli/backend.o $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(EVD_OBJS) $(BUILD)/obj/measurer/cli/backend.o $(BUILD)/lib/libcvm.a $(PKG_LIBS)
	$(split_debug)

$(BUILD)/lib/libcvminitrd.a: $(INITRD_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The bundle launcher is static and never sanitized: it must run in a root holding
# only the bundle.  It is linked with musl (Debian's musl-tools), stripped: 34 KB
# against glibc's 770 KB static floor, once per program in every bundle.
$(BUILD)/libexec/cvm-launch: initrd/launcher/cvm-launch.c initrd/include/cvminitrd/bundle.h
	@mkdir -p $(dir $@)
	musl-gcc $(CPPFLAGS) -std=gnu11 $(WARN) -Os -static -s -o $@ $<

$(BUILD)/obj/initrd/cli/launcher_blob.o: initrd/cli/launcher_blob.S $(BUILD)/libexec/cvm-launch
	@mkdir -p $(dir $@)
	$(CC) -c -DLAUNCHER='"$(BUILD)/libexec/cvm-launch"' -o $@ $<

$(BUILD)/bin/cvm-initrd: $(INITRD_CLI_OBJS) $(BUILD)/lib/libcvminitrd.a $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(INITRD_CLI_OBJS) $(BUILD)/lib/libcvminitrd.a $(BUILD)/lib/libcvm.a $(INITRD_LIBS) $(PKG_LIBS)

$(BUILD)/obj/rewriter/cvm-rewrite.o: CPPFLAGS += -DCHECKOUT_PLUGINS='"$(shell realpath -m --relative-to=$(BUILD)/bin plugins)"'

# The bundle step writes launchers too: cvm-rewrite embeds the same launcher as cvm-initrd.
$(BUILD)/bin/cvm-rewrite: $(REWRITE_OBJS) $(BUILD)/obj/initrd/cli/launcher_blob.o $(BUILD)/lib/libcvminitrd.a $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(REWRITE_OBJS) $(BUILD)/obj/initrd/cli/launcher_blob.o $(BUILD)/lib/libcvminitrd.a $(BUILD)/lib/libcvm.a $(REWRITE_LIBS) $(INITRD_LIBS) $(PKG_LIBS) $(CRYPTO_LIBS)

$(BUILD)/bin/cvm-measure: $(MEASURE_OBJS) $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(MEASURE_OBJS) $(BUILD)/lib/libcvm.a $(PKG_LIBS)
	$(split_debug)

# The rewriter's objects as an archive, so a unit test links only the parts it calls.
$(BUILD)/lib/libcvmrewrite.a: $(filter-out %/cvm-rewrite.o,$(REWRITE_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# Manual pages: scdoc sources beside the code they document (PART/doc/NAME.SECTION.scd)
# into $(BUILD)/man/; bash completions beside them (PART/doc/TOOL.bash).
MAN_SRCS := $(sort $(wildcard measurer/doc/*.scd initrd/doc/*.scd rewriter/doc/*.scd ci/doc/*.scd))
MANS := $(patsubst %.scd,$(BUILD)/man/%,$(notdir $(MAN_SRCS)))
COMPLETIONS := $(sort $(wildcard measurer/doc/*.bash initrd/doc/*.bash rewriter/doc/*.bash ci/doc/*.bash))
vpath %.scd $(sort $(dir $(MAN_SRCS)))
# The page's date is its source's last commit (stable across builds), else today.
$(BUILD)/man/%: %.scd Makefile
	@command -v scdoc >/dev/null || { echo "scdoc is missing: run 'make deps'" >&2; exit 1; }
	@mkdir -p $(dir $@)
	sed 's|@VERSION@|$(VERSION)|g' $< | SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct -- $< 2>/dev/null | grep . || date +%s) \
		scdoc > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

man: $(MANS)

# The unit tests, the fuzzers and the fake TDX shim are libcvm's own tests: they
# may reach its internals, so they alone get -Imeasurer/lib.
$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/lib/libcvm.a $(BUILD)/lib/libcvminitrd.a $(BUILD)/lib/libcvmrewrite.a | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Imeasurer/lib $(ALL_CFLAGS) -DFIXTURES='"$(FIXTURES)"' -o $@ $< $(LDEXTRA) $(BUILD)/lib/libcvmrewrite.a $(BUILD)/lib/libcvminitrd.a \
		$(BUILD)/lib/libcvm.a $(INITRD_LIBS) $(PKG_LIBS) $(TSS2_LIBS) $(CRYPTO_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# cvm-evidenced's pure parts (the message reader, the cgroup mapping), linked into their unit tests and fuzzers.
$(BUILD)/tests/test_varlink: $(BUILD)/obj/measurer/evidenced/varlink.o
$(BUILD)/tests/test_cgroup: $(BUILD)/obj/measurer/evidenced/cgroup.o
$(BUILD)/tests/test_varlink $(BUILD)/tests/test_cgroup: LDEXTRA = $(filter $(BUILD)/obj/measurer/evidenced/%,$^)
$(BUILD)/fuzz/fuzz_varlink: $(BUILD)/fuzzobj/measurer/evidenced/varlink.o
$(BUILD)/fuzz/fuzz_cgroup: $(BUILD)/fuzzobj/measurer/evidenced/cgroup.o
$(BUILD)/fuzz/fuzz_varlink $(BUILD)/fuzz/fuzz_cgroup: LDEXTRA = $(filter $(BUILD)/fuzzobj/measurer/evidenced/%,$^)

FIXTURES ?= $(abspath ../shared/fixtures)
export FIXTURES

# The fake /dev/tdx_guest of tests/bats/tdx.bats, an LD_PRELOAD ioctl shim; never
# sanitized, as it is preloaded into sanitized tools.
TEST_SHIMS := $(BUILD)/tests/fake_tdx_guest.so
$(BUILD)/tests/fake_tdx_guest.so: tests/shim/fake_tdx_guest.c measurer/lib/tdx_guest.h | build-deps
	@mkdir -p $(dir $@)
	gcc $(CPPFLAGS) -Imeasurer/lib -std=gnu11 $(WARN) -O2 -g -fPIC -shared -o $@ $< -lcrypto -ldl

unit: $(UNIT_BINS)
bats: $(BINS) $(TEST_SHIMS)

# The whole suite: plain build, then ASan+UBSan, ThreadSanitizer on the unit
# tests, and valgrind on the unit tests and the hostile-input suites' tools.
after-deps-check:
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TEST_SHIMS)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		all $(UNIT_BINS:$(BUILD)/%=$(BUILD)/asan/%) $(TEST_SHIMS:$(BUILD)/%=$(BUILD)/asan/%)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan CC=clang CFLAGS="-O1 -g -fsanitize=thread" \
		$(UNIT_BINS:$(BUILD)/%=$(BUILD)/tsan/%)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/vg CFLAGS="-O1 -g" SPLIT_DEBUG=no all $(UNIT_BINS:$(BUILD)/%=$(BUILD)/vg/%)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) tests/run-tests.sh

fuzz-build: $(FUZZ_BINS)

# Fuzzers link a libcvm built once with coverage instrumentation and sanitizers.
# A decompressed segment may grow to 64 MiB under the fuzzer (4 GiB otherwise), so a bomb is not a timeout;
# the entries kept of a segment to 4 KiB (64 MiB otherwise), so that dropping them is reached too.
FUZZ_FLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -DINITRD_MAX_UNPACKED='(64ULL << 20)' \
        -DINITRD_CACHE_MAX=4096u
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o) $(BASE_SRCS:%.c=$(BUILD)/fuzzobj/%.o) $(INITRD_LIB_SRCS:%.c=$(BUILD)/fuzzobj/%.o) \
        $(filter-out %/cvm-rewrite.o,$(REWRITE_SRCS:%.c=$(BUILD)/fuzzobj/%.o)) $(BUILD)/obj/initrd/cli/launcher_blob.o

$(BUILD)/fuzzobj/%.o: %.c | build-deps
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_eventlog.h $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -Imeasurer/lib $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(LDEXTRA) $(FUZZ_LIB_OBJS) $(REWRITE_LIBS) $(INITRD_LIBS) $(PKG_LIBS) $(CRYPTO_LIBS)

FUZZ_SECONDS ?= 60
after-deps-fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) FIXTURES=$(FIXTURES) tests/fuzz/run-fuzzers.sh

$(BUILD)/bench/mklog: tests/bench/mklog.c $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/lib/libcvm.a $(PKG_LIBS)

$(BUILD)/bench/imrbench: tests/bench/imrbench.c $(BUILD)/lib/libcvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/lib/libcvm.a $(PKG_LIBS)

$(BUILD)/bench/evdbench: tests/bench/evdbench.c tests/bench/evdbench_open.c tests/bench/evdbench.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) -pthread

# Each script prints its figures as it goes and appends them to BENCH_FIGURES;
# they are printed together at the end (tests/bench/readme-table.sh reads them).
BENCH_FIGURES := $(BUILD)/bench/figures.txt
after-deps-bench: all $(BUILD)/bench/mklog $(BUILD)/bench/imrbench $(BUILD)/bench/evdbench
	@rm -f $(BENCH_FIGURES)
	@BUILD=$(BUILD) FIXTURES=$(FIXTURES) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-evidence.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-live.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-measure.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-initrd.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-rewrite.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-rewrite-scale.sh
	@BUILD=$(BUILD) BENCH_FIGURES=$(BENCH_FIGURES) tests/bench/bench-evidenced.sh
	@echo "== the figures of this run, each against its peer or floor (README: tests/bench/readme-table.sh $(BENCH_FIGURES)) =="
	@cat $(BENCH_FIGURES)

# Install layout.  LIBDIR may be a multiarch one (make deb: /usr/lib/$(MULTIARCH)).
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
MULTIARCH   = $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch 2>/dev/null)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/cvm
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0755 ci/cvm-vm $(DESTDIR)$(BINDIR)/
	install -m 0644 $(BUILD)/lib/libcvm.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(BUILD)/lib/libcvm.so $(DESTDIR)$(LIBDIR)/libcvm.so.0
	ln -sf libcvm.so.0 $(DESTDIR)$(LIBDIR)/libcvm.so
	$(call make_pc,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) > $(DESTDIR)$(LIBDIR)/pkgconfig/cvm.pc
	install -m 0644 measurer/include/cvm/*.h $(DESTDIR)$(INCLUDEDIR)/cvm/
	install -d $(DESTDIR)$(DATADIR)/cvm/policy
	install -m 0644 plugins/50-cvm-measurer/files/policy.yaml $(DESTDIR)$(DATADIR)/cvm/policy/default.yaml
	for m in $(MANS); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions
	for c in $(COMPLETIONS); do install -m 0644 $$c $(DESTDIR)$(DATADIR)/bash-completion/completions/$$(basename $$c .bash) || exit 1; done
	install -m 0644 $(BUILD)/lib/libcvminitrd.a $(DESTDIR)$(LIBDIR)/
	install -d $(DESTDIR)$(INCLUDEDIR)/cvminitrd
	install -m 0644 initrd/include/cvminitrd/*.h $(DESTDIR)$(INCLUDEDIR)/cvminitrd/
	install -d $(DESTDIR)$(DATADIR)/cvm/plugins $(DESTDIR)$(DATADIR)/cvm/recipes
	cp -R plugins/[0-9]* $(DESTDIR)$(DATADIR)/cvm/plugins/
	install -m 0644 recipes/*.yaml $(DESTDIR)$(DATADIR)/cvm/recipes/

# What a guest runs (the cvmkit-guest package): the measurer, its policy, and the
# initramfs-tools hooks, dracut module and systemd units where those look.  The
# hooks and units name /usr/sbin/cvm-measure and /etc/cvm/policy.yaml, so these
# paths are fixed; only DESTDIR and the unit directory vary.
GUEST_SRC := plugins/50-cvm-measurer/files
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
ITOOLS := $(DESTDIR)/usr/share/initramfs-tools
DRACUT := $(DESTDIR)/usr/lib/dracut/modules.d/90cvm-measure

# The evidence service is a guest's too: cvm-evidenced with its socket-activated units (plugin 51's files).
EVD_SRC := plugins/51-cvm-evidence/files

install-guest: $(BUILD)/bin/cvm-measure $(BUILD)/man/cvm-measure.8 $(BUILD)/bin/cvm-evidenced $(BUILD)/man/cvm-evidenced.8
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/etc/cvm $(ITOOLS)/hooks $(ITOOLS)/scripts/local-bottom \
		$(DRACUT) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)/usr/share/man/man8 $(DESTDIR)/usr/share/bash-completion/completions
	install -m 0755 $(BUILD)/bin/cvm-measure $(DESTDIR)/usr/sbin/
	install -m 0644 $(GUEST_SRC)/policy.yaml $(DESTDIR)/etc/cvm/policy.yaml
	install -m 0755 $(GUEST_SRC)/initramfs-tools/hooks/cvm-measure $(ITOOLS)/hooks/
	install -m 0755 $(GUEST_SRC)/initramfs-tools/scripts/local-bottom/cvm-measure $(ITOOLS)/scripts/local-bottom/
	install -m 0755 $(GUEST_SRC)/dracut/90cvm-measure/*.sh $(DRACUT)/
	install -m 0644 $(GUEST_SRC)/systemd/*.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 $(BUILD)/man/cvm-measure.8 $(DESTDIR)/usr/share/man/man8/
	install -m 0644 measurer/doc/cvm-measure.bash $(DESTDIR)/usr/share/bash-completion/completions/cvm-measure
	install -m 0755 $(BUILD)/bin/cvm-evidenced $(DESTDIR)/usr/sbin/
	install -m 0644 $(EVD_SRC)/cvm-evidence.socket $(EVD_SRC)/cvm-evidenced.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 $(BUILD)/man/cvm-evidenced.8 $(DESTDIR)/usr/share/man/man8/
	install -d $(DESTDIR)/usr/lib/python3/dist-packages
	install -m 0644 $(EVD_SRC)/cvm_evidence.py $(DESTDIR)/usr/lib/python3/dist-packages/

# Debian packages (debian/, debhelper): cvmkit, cvmkit-guest, libcvm0, libcvm-dev and
# their -dbgsym into $(BUILD)/deb/, with the .changes lintian reads.  A clean
# build of its own in build/deb-tree; DEB_BUILD_OPTIONS=parallel=N sets its jobs.
DEB_OUT = $(abspath $(BUILD)/deb)
DEB_NAME = cvmkit_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb needs dpkg-dev and debhelper: run 'make deps-build'" >&2; exit 1; }
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL CVM_DEB_OUT=$(DEB_OUT) \
		DEB_BUILD_OPTIONS="$(or $(DEB_BUILD_OPTIONS),parallel=2)" \
		dpkg-buildpackage -b --no-sign --buildinfo-file=$(DEB_OUT)/$(DEB_NAME).buildinfo \
		--changes-file=$(DEB_OUT)/$(DEB_NAME).changes --buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT)

# The closed loop (tests/e2e/run-loop.sh): base images are cached under CVM_CACHE by their build script's hash.
CVM_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/cvmkit
export CVM_CACHE

after-deps-e2e: all
	@BUILD=$(BUILD) tests/e2e/run-loop.sh

after-deps-demo: all
	@BUILD=$(BUILD) tests/e2e/run-loop.sh --demo

# The soft TDX guest device (tests/softtdx, test only), built against the
# headers of exactly the kernel the closed loop boots: Debian's cloud kernel
# of tests/e2e/fetch-kernel.sh, whose linux-headers .debs of the same version
# tests/softtdx/fetch-headers.sh downloads and unpacks into $(CVM_CACHE)
# (not installed: that would add /lib/modules/VERSION for a kernel the host
# does not run).  Kbuild rebuilds only what changed.
SOFTTDX_SRCS := $(wildcard tests/softtdx/softtdx*.c tests/softtdx/softtdx*.h) tests/softtdx/Kbuild
.PHONY: softtdx
softtdx:
	@kdeb=$$(tests/e2e/fetch-kernel.sh "$(CVM_CACHE)") && h=$$(tests/softtdx/fetch-headers.sh "$(CVM_CACHE)" "$$kdeb") && \
	mkdir -p $(BUILD)/softtdx && cp -p $(SOFTTDX_SRCS) $(BUILD)/softtdx/ && \
	$(MAKE) -C "$$h" M=$(abspath $(BUILD)/softtdx) modules

clean-cache:
	rm -rf $(CVM_CACHE)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The rewriter's step-table tests link every step kind: libguestfs, crypt(3) and the bundle step's launcher.
REWRITE_UNIT_BINS := $(BUILD)/tests/test_steps $(BUILD)/tests/test_recipe $(BUILD)/tests/test_subst
$(REWRITE_UNIT_BINS): $(BUILD)/obj/initrd/cli/launcher_blob.o
$(REWRITE_UNIT_BINS): PKG_LIBS += $(BUILD)/obj/initrd/cli/launcher_blob.o $(REWRITE_LIBS)
