# capOS top-level entry points. The README's contract:
#   make run   install missing deps, build, boot capOS in QEMU (serial on this terminal; Ctrl-A X quits)
#   make test  install missing deps, build, run every host and QEMU test through CTest
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
QEMU       ?= qemu-system-x86_64
MEM        ?= 256M
ACCEL      ?= $(if $(filter kvm,$(CAPOS_ACCEL)),kvm,tcg)
# The production kernel; KERNEL=$(BUILD)/kernel/capos-test.elf boots the
# test kernel, which adds the boot self tests (CMDLINE='capos.test=boot').
KERNEL     ?= $(BUILD)/kernel/capos.elf
# The boot package (system.cue + binaries); override to boot another one.
PACKAGE    ?= $(BUILD)/manifest.bin
ISO        := $(BUILD)/capos.iso
QEMU_FLAGS ?= -machine q35 -m $(MEM) -accel $(ACCEL) -cpu max -no-reboot \
              -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none
# The NIC netd drives (docs/net.md): virtio-net on QEMU's user network,
# behind the emulated VT-d so its DMA is confined to netd's pool. NET_FLAGS=
# boots without a network (netd then serves with the link down).
NET_FLAGS  ?= -device intel-iommu -netdev user,id=n0 \
              -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on

.PHONY: all deps configure build run run-iso run-uefi iso debug gdb test test-host test-qemu fuzz bench bench-scale clean

all: build

deps:
	@bash tools/setup-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# isa-debug-exit maps a clean shutdown to QEMU status 33 (see docs/abi.md);
# treat that as success for the user.
run: deps build
	@echo "capOS: serial console on this terminal; Ctrl-A X quits QEMU"
	@$(QEMU) $(QEMU_FLAGS) $(NET_FLAGS) -kernel $(KERNEL) -initrd $(PACKAGE) -serial mon:stdio $(if $(CMDLINE),-append "$(CMDLINE)"); \
	  st=$$?; [ $$st -eq 0 ] || [ $$st -eq 33 ] || exit $$st

iso: deps build
	cmake --build $(BUILD) --target iso

run-iso: iso
	@$(QEMU) $(QEMU_FLAGS) -cdrom $(ISO) -serial mon:stdio; \
	  st=$$?; [ $$st -eq 0 ] || [ $$st -eq 33 ] || exit $$st

# The same ISO under UEFI firmware (OVMF). The firmware's variable store is
# writable, so it is a copy in the build tree, made fresh for each run.
OVMF_CODE ?= /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS ?= /usr/share/OVMF/OVMF_VARS_4M.fd
run-uefi: iso
	@cp $(OVMF_VARS) $(BUILD)/OVMF_VARS.fd
	@$(QEMU) $(QEMU_FLAGS) -drive if=pflash,format=raw,unit=0,readonly=on,file=$(OVMF_CODE) \
	  -drive if=pflash,format=raw,unit=1,file=$(BUILD)/OVMF_VARS.fd -cdrom $(ISO) -serial mon:stdio; \
	  st=$$?; [ $$st -eq 0 ] || [ $$st -eq 33 ] || exit $$st

# QEMU paused at the first instruction with the gdb stub on :1234; in
# another terminal run `make gdb` (or `gdb -x tools/gdb/capos.gdb`).
debug: deps build
	@echo "capOS: QEMU paused, gdb stub on localhost:1234 -- run 'make gdb' in another terminal"
	@$(QEMU) $(QEMU_FLAGS) -kernel $(KERNEL) -initrd $(PACKAGE) -serial mon:stdio -s -S $(if $(CMDLINE),-append "$(CMDLINE)")

gdb:
	gdb -q -x tools/gdb/capos.gdb

test: deps build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-host: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -R '^host\.'

test-qemu: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -R '^qemu\.'

# Open-ended fuzzing: every target for FUZZ_SECONDS (default 300) each, or
# one target until interrupted: make fuzz FUZZ=capnp_reader
fuzz: build
	@bash tools/fuzz.sh $(FUZZ)

clean:
	rm -rf $(BUILD)

# Boots capOS and a Debian Linux guest under the same QEMU flags and writes
# bench/results/latest.md (see docs/benchmarks.md). BENCH_ARGS passes options
# to the harness, e.g. BENCH_ARGS="--iters 2000 --boots 3".
bench:
	python3 tools/bench/run_bench.py --build $(BUILD) --qemu $(QEMU) $(BENCH_ARGS)
	python3 tools/bench/scale_bench.py --build $(BUILD) --qemu $(QEMU)

# Only the SMP scaling rows (issue 15): both guests at -smp 2, threaded vCPUs.
bench-scale:
	python3 tools/bench/scale_bench.py --build $(BUILD) --qemu $(QEMU)
