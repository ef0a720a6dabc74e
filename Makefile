# faultprof: the preload shim, the launcher, the analyzer, and their tests.
# `make` builds build/; `make check` runs every test; `make asan` builds the
# analyzer and unit tests (the recorder's among them) with ASan+UBSan into
# build-asan/; `make check-tsan` runs the recorder's unit test under TSan.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

CC      ?= cc
CXX     ?= c++
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
# WERROR=1 (what CI builds with): a warning fails the build
WARN    += $(if $(WERROR),-Werror)
CFLAGS  ?=
CPPFLAGS += -Iinclude -D_GNU_SOURCE
BASE_CFLAGS = -std=gnu11 $(OPT) $(WARN) $(CFLAGS)

# --- the shim: only the intercepted symbols are exported
SHIM_SRC  := $(wildcard preload/*.c)
SHIM_OBJ  := $(SHIM_SRC:%.c=$(BUILD)/obj/%.o)
SHIM_CFLAGS = $(BASE_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
              -fno-omit-frame-pointer -pthread
SHIM_LIBS := -ldeflate -lz -ldl -lm -pthread

# --- the launcher
LAUNCH_SRC := $(wildcard launcher/*.c)
LAUNCH_OBJ := $(LAUNCH_SRC:%.c=$(BUILD)/obj/%.o)

# --- the analyzer: main.c holds main(); everything else is a library the
# unit tests and the fuzz harness link too
AN_SRC     := $(wildcard analyzer/*.c)
AN_LIB_SRC := $(filter-out analyzer/main.c,$(AN_SRC))
AN_LIB_OBJ := $(AN_LIB_SRC:%.c=$(BUILD)/obj/%.o)
AN_LIBS    := -ldw -lelf -ldeflate -lz -liberty -lm -pthread

# --- tests
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
PROG_C     := $(wildcard tests/progs/*.c)
PROG_CXX   := $(wildcard tests/progs/*.cpp)
PROG_BIN   := $(PROG_C:tests/progs/%.c=$(BUILD)/tests/progs/%) \
              $(PROG_CXX:tests/progs/%.cpp=$(BUILD)/tests/progs/%)
DEMO_SRC   := $(wildcard demo/*.c)
DEMO_BIN   := $(DEMO_SRC:demo/%.c=$(BUILD)/demo/%)

all: $(BUILD)/libfaultprof.so $(BUILD)/faultprof $(BUILD)/faultprof-report $(DEMO_BIN)

$(BUILD)/obj/preload/%.o: preload/%.c $(wildcard include/faultprof/*.h preload/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/libfaultprof.so: $(SHIM_OBJ) $(BUILD)/exports.map
	$(CC) -shared -o $@ $(SHIM_OBJ) $(SHIM_LIBS) -Wl,-z,now -Wl,--version-script=$(BUILD)/exports.map

# the version script: the hooked functions of preload/hooks.h, and nothing else
$(BUILD)/exports.map: preload/exports.map.in preload/hooks.h
	@mkdir -p $(dir $@)
	$(CC) -E -P -x c -Ipreload $< -o $@

$(BUILD)/obj/launcher/%.o: launcher/%.c $(wildcard include/faultprof/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -c $< -o $@

$(BUILD)/faultprof: $(LAUNCH_OBJ)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^

$(BUILD)/obj/analyzer/%.o: analyzer/%.c $(wildcard include/faultprof/*.h analyzer/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -c $< -o $@

$(BUILD)/faultprof-report: $(BUILD)/obj/analyzer/main.o $(AN_LIB_OBJ)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^ $(AN_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(AN_LIB_OBJ) $(wildcard include/faultprof/*.h analyzer/*.h preload/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ianalyzer -Ipreload $(BASE_CFLAGS) -o $@ $< $(AN_LIB_OBJ) -lcmocka $(AN_LIBS) -pthread

# the recorder's writing path (no hooks), linked straight into its unit test
RECORDER_OBJ := $(addprefix $(BUILD)/obj/preload/,record.o trace_file.o compress.o os.o \
                  settings.o side_stack.o guard.o fork_gate.o thread_list.o)
$(BUILD)/tests/unit/test_recorder: tests/unit/test_recorder.c $(RECORDER_OBJ) $(AN_LIB_OBJ) \
                                   $(wildcard include/faultprof/*.h analyzer/*.h preload/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ianalyzer -Ipreload $(BASE_CFLAGS) -o $@ $< $(RECORDER_OBJ) $(AN_LIB_OBJ) \
	    -lcmocka $(AN_LIBS) $(SHIM_LIBS)

# test programs: -O2 -g with frame pointers off, as users build them
$(BUILD)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -pthread -o $@ $< -ldl

$(BUILD)/tests/progs/%: tests/progs/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -Wall -pthread -o $@ $<

$(BUILD)/demo/%: demo/%.c $(wildcard demo/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -pthread -o $@ $<

tests: all $(UNIT_BIN) $(PROG_BIN)

check: tests
	BUILD=$(BUILD) tests/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    $(addprefix build-asan/,faultprof-report faultprof) \
	    $(UNIT_SRC:tests/unit/%.c=build-asan/tests/unit/%)

check-asan: asan
	BUILD=build-asan tests/run.sh --unit-only

# ThreadSanitizer on the recorder's threaded writing path.  The shim itself
# cannot run preloaded under TSan: TSan's runtime must come first and then
# serves malloc itself, so the shim's hooks would never run.
check-tsan:
	$(MAKE) BUILD=build-tsan OPT="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" \
	    build-tsan/tests/unit/test_recorder
	TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/unit/test_recorder

# --- fuzzing the trace reader with libFuzzer (clang); FUZZ_SECONDS per run
FUZZ_SRC := tests/fuzz/fuzz_reader.c analyzer/reader.c analyzer/event.c analyzer/model.c analyzer/itree.c \
            analyzer/fclass.c
$(BUILD)/fuzz/fuzz_reader: $(FUZZ_SRC) $(wildcard include/faultprof/*.h analyzer/*.h)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Ianalyzer -o $@ $(FUZZ_SRC) -ldeflate -lz -lm

fuzz: $(BUILD)/fuzz/fuzz_reader
	@mkdir -p $(BUILD)/fuzz/corpus
	$< -max_total_time=$${FUZZ_SECONDS:-600} -timeout=10 -rss_limit_mb=2048 \
	    $(BUILD)/fuzz/corpus tests/fuzz/corpus

demo: all
	scripts/demo.sh

# the record layout table of faultprof-trace(5), from include/faultprof/records.h
man-layouts: $(BUILD)/tests/unit/test_records
	$< --man > $(BUILD)/layouts.man
	awk -v gen=$(BUILD)/layouts.man \
	    '/^\.\\" END record layouts/ { while ((getline l < gen) > 0) print l; skip = 0 } \
	     !skip { print } /^\.\\" BEGIN record layouts/ { skip = 1 }' \
	    man/faultprof-trace.5 > $(BUILD)/faultprof-trace.5 && mv $(BUILD)/faultprof-trace.5 man/

bench: all
	bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/faultprof \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/faultprof $(BUILD)/faultprof-report $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(BUILD)/libfaultprof.so $(DESTDIR)$(PREFIX)/lib/faultprof/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build build-asan

.PHONY: all tests check asan check-asan check-tsan demo bench install clean fuzz man-layouts
.SECONDARY:
