# sweep: build, test, run. `make run` and `make test` install what is
# missing first (make deps: Debian packages through apt-get, as root).

PREFIX   ?= /usr/local
BUILD    := build
PKGS     := hdf5 openblas zlib libpng
CC       := mpicc
# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O3 keeps the rest).
CFLAGS   ?= -O2 -g
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

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
HEADERS  := $(wildcard include/*.h include/*/*.h)

# `sweep plot` is a library of its own, the only user of cairo: with
# PLOT=no, or without cairo's development files, sweep builds and trains
# without it (and `sweep plot` says so).
PLOT     ?= $(if $(shell pkg-config --exists cairo 2>/dev/null && echo yes),yes,no)
PLOT_SRC := $(wildcard src/plot/*.c)
PLOT_OBJ := $(PLOT_SRC:src/%.c=$(BUILD)/%.o)
ifeq ($(PLOT),yes)
PLOT_CFLAGS := -DSWEEP_PLOT $(shell pkg-config --cflags cairo)
PLOT_LIB    := $(BUILD)/libsweep_plot.a
PLOT_LDLIBS := $(shell pkg-config --libs cairo)
endif
TEST_SRC := $(wildcard tests/test_*.c)
TEST_SH  := $(wildcard tests/test_*.sh)
ifneq ($(PLOT),yes)
TEST_SRC := $(filter-out tests/test_plot.c,$(TEST_SRC))
TEST_SH  := $(filter-out tests/test_plot.sh,$(TEST_SH))
endif
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/%) $(BUILD)/test_conv2d_avx2 $(BUILD)/test_conv2d_baseline

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

$(BUILD)/%.o: src/%.c $(HEADERS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/main.o: src/main.c $(HEADERS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(PLOT_CFLAGS) -c $< -o $@

$(BUILD)/plot/%.o: src/plot/%.c $(HEADERS) | $(BUILD)
	@mkdir -p $(BUILD)/plot
	$(CC) $(ALL_CFLAGS) $(PLOT_CFLAGS) -c $< -o $@

$(BUILD)/libsweep.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/libsweep_plot.a: $(PLOT_OBJ)
	ar rcs $@ $^

$(BUILD)/sweep: $(BUILD)/main.o $(PLOT_LIB) $(BUILD)/libsweep.a
	$(CC) $(ALL_LDFLAGS) $^ $(PLOT_LDLIBS) $(LDLIBS) -o $@

$(BUILD)/test_%: tests/test_%.c $(wildcard tests/*.h) $(HEADERS) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD)/test_plot: tests/test_plot.c $(wildcard tests/*.h) $(HEADERS) $(PLOT_LIB) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(PLOT_CFLAGS) $(ALL_LDFLAGS) $< $(PLOT_LIB) $(BUILD)/libsweep.a $(PLOT_LDLIBS) $(LDLIBS) -o $@

# The convolution kernels once more, each build for one instruction set
# (conv2d_kernels.h): the AVX2 and baseline clones are tested on any CPU
# that can run them, not only the one the CPU would pick.
CONV_SRC := $(wildcard src/conv2d*.c) src/winograd.c
$(BUILD)/test_conv2d_avx2: tests/test_conv2d.c $(CONV_SRC) $(wildcard include/*.h) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) -DSWEEP_ONE_ISA -mavx2 -mfma $(ALL_LDFLAGS) $< $(CONV_SRC) $(BUILD)/libsweep.a $(LDLIBS) -o $@
$(BUILD)/test_conv2d_baseline: tests/test_conv2d.c $(CONV_SRC) $(wildcard include/*.h) $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) -DSWEEP_ONE_ISA $(ALL_LDFLAGS) $< $(CONV_SRC) $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD):
	mkdir -p $(BUILD)

run: deps
	$(MAKE) all
	$(BUILD)/sweep sweep/quick.cfg

# A test tool, not a test: prints a digest of a results file (tests/*.sh).
$(BUILD)/results_digest: tests/results_digest.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

test: test-deps
	$(MAKE) all $(TEST_BIN) $(BUILD)/results_digest $(BUILD)/bench_train $(BUILD)/bench_publish $(BUILD)/fsync_fails.so
	tests/run.sh $(TEST_BIN) $(TEST_SH)

$(BUILD)/fsync_fails.so: tests/fsync_fails.c | $(BUILD)
	gcc -shared -fPIC -O2 $< -ldl -o $@

$(BUILD)/bench_allreduce: tests/bench_allreduce.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@

$(BUILD)/bench_publish: tests/bench_publish.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

$(BUILD)/bench_train: tests/bench_train.c $(BUILD)/libsweep.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libsweep.a $(LDLIBS) -o $@

# PyTorch is the benchmark's yardstick, not a dependency of sweep.
bench: deps
	$(call install_missing,python3-torch)
	$(MAKE) all $(BUILD)/bench_allreduce $(BUILD)/bench_publish $(BUILD)/bench_train
	tests/bench.sh
	mpirun --oversubscribe -np 2 $(BUILD)/bench_allreduce
	tests/bench_publish.sh
	tests/bench_grid.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/sweep $(DESTDIR)$(PREFIX)/bin/sweep

clean:
	rm -rf $(BUILD)
