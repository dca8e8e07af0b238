# sweep: build, test, run. `make run` and `make test` install what is
# missing first (make deps: Debian packages through apt-get, as root).

PREFIX   ?= /usr/local
BUILD    := build
PKGS     := hdf5 openblas zlib libpng
CC       := mpicc
# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O3 keeps the rest).
CFLAGS   ?= -O2 -g
# Headers are named by their path under include/ ("nn/net.h").
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -fopenmp -Iinclude \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
ALL_LDFLAGS := -fopenmp $(LDFLAGS)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# Open MPI refuses to run as root unless told; tests and `make run` run as
# root on CI and on a fresh machine.
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
# Sleep rather than spin at OpenMP barriers (see README, "Threads").
export OMP_WAIT_POLICY ?= passive

DEB_PACKAGES := build-essential pkg-config openmpi-bin libopenmpi-dev \
                libhdf5-dev hdf5-tools libopenblas-openmp-dev zlib1g-dev libpng-dev \
                libcairo2-dev fonts-dejavu-core dataset-fashion-mnist
# h5py edits files as another HDF5 program would; chromium loads the
# plots' page as a reader would.
TEST_DEB_PACKAGES := python3-h5py chromium

# The source tree is by concept (README, "Layout"): src/FOLDER/NAME.c
# builds to build/obj/FOLDER/NAME.o; include/ and tests/ mirror src/.
LIB_SRC  := $(filter-out src/cli/% src/plot/%,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
HEADERS  := $(shell find include -name '*.h')

# `sweep plot` is a library of its own, the only user of cairo: with
# PLOT=no, or without cairo's development files, sweep builds and trains
# without it (and `sweep plot` says so).
PLOT     ?= $(if $(shell pkg-config --exists cairo 2>/dev/null && echo yes),yes,no)
PLOT_SRC := $(wildcard src/plot/*.c)
PLOT_OBJ := $(PLOT_SRC:src/%.c=$(BUILD)/obj/%.o)
ifeq ($(PLOT),yes)
PLOT_CFLAGS := -DSWEEP_PLOT $(shell pkg-config --cflags cairo)
PLOT_LIB    := $(BUILD)/libsweep_plot.a
PLOT_LDLIBS := $(shell pkg-config --libs cairo)
endif
# tests/FOLDER/test_NAME.c builds to build/test_NAME (names are unique).
TEST_SRC := $(shell find tests -name 'test_*.c' | sort)
TEST_SH  := $(shell find tests -name 'test_*.sh' | sort)
ifneq ($(PLOT),yes)
TEST_SRC := $(filter-out tests/plot/%,$(TEST_SRC))
TEST_SH  := $(filter-out tests/plot/%,$(TEST_SH))
endif
TEST_BIN := $(addprefix $(BUILD)/,$(notdir $(TEST_SRC:.c=))) $(BUILD)/test_conv2d_avx2 $(BUILD)/test_conv2d_baseline
TEST_CFLAGS := -Itests
vpath test_%.c $(sort $(dir $(TEST_SRC)))

.PHONY: all deps test-deps run test install clean bench

all: $(BUILD)/sweep

# $(call install_missing,PACKAGES): apt-get installs those not installed.
install_missing = @missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	    echo "make: installing $$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

deps:
	$(call install_missing,$(DEB_PACKAGES))

# The tests' independent oracles (h5py edits files as another HDF5 program
# would), not dependencies of sweep.
test-deps: deps
	$(call install_missing,$(TEST_DEB_PACKAGES))

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/cli/%.o $(BUILD)/obj/plot/%.o: ALL_CFLAGS += $(PLOT_CFLAGS)

$(BUILD)/libsweep.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/libsweep_plot.a: $(PLOT_OBJ)
	ar rcs $@ $^

$(BUILD)/sweep: $(BUILD)/obj/cli/main.o $(PLOT_LIB) $(BUILD)/libsweep.a
	$(CC) $(ALL_LDFLAGS) $^ $(PLOT_LDLIBS) $(LDLIBS) -o $@

$(BUILD)/test_%: test_%.c $(wildcard tests/*.h) $(HEADERS) $(BUILD)/libsweep.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD)/test_plot: tests/plot/test_plot.c $(wildcard tests/*.h) $(HEADERS) $(PLOT_LIB) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(PLOT_CFLAGS) $(ALL_LDFLAGS) $< $(PLOT_LIB) $(BUILD)/libsweep.a $(PLOT_LDLIBS) $(LDLIBS) -o $@

# The convolution kernels once more, each build for one instruction set
# (conv2d_kernels.h): the AVX2 and baseline clones are tested on any CPU
# that can run them, not only the one the CPU would pick.
CONV_SRC := $(wildcard src/nn/layers/conv2d*.c) src/nn/layers/winograd.c
$(BUILD)/test_conv2d_avx2: tests/nn/layers/test_conv2d.c $(CONV_SRC) $(HEADERS) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -DSWEEP_ONE_ISA -mavx2 -mfma $(ALL_LDFLAGS) $< $(CONV_SRC) $(BUILD)/libsweep.a $(LDLIBS) -o $@
$(BUILD)/test_conv2d_baseline: tests/nn/layers/test_conv2d.c $(CONV_SRC) $(HEADERS) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -DSWEEP_ONE_ISA $(ALL_LDFLAGS) $< $(CONV_SRC) $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD):
	mkdir -p $(BUILD)

run: deps
	$(MAKE) all
	$(BUILD)/sweep sweep/quick.cfg

# A test tool, not a test: prints a digest of a results file (tests/*.sh).
$(BUILD)/results_digest: tests/results_digest.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

test: test-deps
	$(MAKE) all $(TEST_BIN) $(BUILD)/results_digest $(BUILD)/bench_train $(BUILD)/bench_publish $(BUILD)/fsync_fails.so
	tests/run.sh $(TEST_BIN) $(TEST_SH)

$(BUILD)/fsync_fails.so: tests/fsync_fails.c | $(BUILD)
	gcc -shared -fPIC -O2 $< -ldl -o $@

$(BUILD)/bench_allreduce: tests/bench/bench_allreduce.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@

$(BUILD)/bench_publish: tests/bench/bench_publish.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD)/bench_train: tests/bench/bench_train.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

# PyTorch is the benchmark's yardstick, not a dependency of sweep.
bench: deps
	$(call install_missing,python3-torch)
	$(MAKE) all $(BUILD)/bench_allreduce $(BUILD)/bench_publish $(BUILD)/bench_train
	tests/bench/bench.sh
	mpirun --oversubscribe -np 2 $(BUILD)/bench_allreduce
	tests/bench/bench_publish.sh
	tests/bench/bench_grid.sh
	tests/bench/bench_features.sh
	tests/bench/bench_search.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/sweep $(DESTDIR)$(PREFIX)/bin/sweep

clean:
	rm -rf $(BUILD)
