// QEMU isa-debug-exit (iobase 0xf4): QEMU exits with (code << 1) | 1.
// Harmless on machines without the device. Codes are ABI: docs/abi.md.
#pragma once

#include <stdint.h>

namespace capos::debug_exit {

constexpr uint8_t SUCCESS = 0x10;  // QEMU exit status 33
constexpr uint8_t FAILURE = 0x11;  // QEMU exit status 35 (panic)
constexpr uint8_t INIT_FAILED = 0x12;   // QEMU exit status 37: init exited non-zero
constexpr uint8_t INIT_FAULTED = 0x13;  // QEMU exit status 39: init died of a fault or kill
constexpr uint8_t BOOT_REFUSED = 0x14;  // QEMU exit status 41: the boot package cannot be honoured

// Writes `code` to the device; returns only when there is no device.
void signal(uint8_t code);

// signal(), then halt (panics and self tests: no ACPI power-off, so a
// failure report stays on a real machine's screen).
[[noreturn]] void exit(uint8_t code);

}  // namespace capos::debug_exit
