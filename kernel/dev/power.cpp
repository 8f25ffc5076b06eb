#include "kernel/dev/power.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/paging.h"
#include "lib/acpi/fadt.h"
#include "lib/acpi/sleep_type.h"

namespace capos::power {

namespace {

constexpr uint64_t ACPI_ENABLE_WAIT_NS = 1'000'000'000;
constexpr uint64_t POWER_OFF_WAIT_NS = 1'000'000'000;
constexpr uint64_t RESET_WAIT_NS = 500'000'000;

struct S5 {
  uint16_t pm1a = 0, pm1b = 0;  // I/O ports; pm1b 0: no second block
  acpi::SleepType type{};
};

struct Reset {
  acpi::GenericAddress reg;
  uint8_t value = 0;
  volatile uint8_t* mmio = nullptr;  // memory-space register, mapped at boot (no allocation at reset time)
};

// Plain globals (no destructors to register): a value and whether it is usable.
S5 g_s5;
Status g_s5_ok = fail(Err::NotFound);
Reset g_reset;
Status g_reset_ok = fail(Err::NotFound);
uint16_t g_smi_cmd = 0;
uint8_t g_acpi_enable = 0;

void spin_ns(uint64_t ns) {
  uint64_t end = timer::now_ns() + ns;
  while (timer::now_ns() < end) arch::pause();
}

Result<S5> find_s5(const acpi::Fadt& f) {
  if (f.hw_reduced) return fail(Err::Unsupported);  // sleep registers instead of PM1: not driven yet
  S5 s;
  s.pm1a = CAPOS_TRY(acpi::io_port(f.pm1a_cnt, 2));
  if (f.pm1b_cnt.present()) s.pm1b = CAPOS_TRY(acpi::io_port(f.pm1b_cnt, 2));
  if (!f.dsdt) return fail(Err::NotFound);
  Bytes dsdt = CAPOS_TRY(acpi::table_at(f.dsdt));
  s.type = CAPOS_TRY(acpi::find_sleep_type(dsdt, "_S5_"));
  return s;
}

Result<Reset> find_reset(const acpi::Fadt& f) {
  if (!f.reset_supported) return fail(Err::NotFound);
  // The spec allows I/O, memory and PCI config space; I/O and memory are
  // what x86 firmware uses (QEMU: I/O 0xcf9).
  Reset r{f.reset_reg, f.reset_value};
  if (f.reset_reg.space == static_cast<uint8_t>(acpi::AddressSpace::Io)) {
    if (Result<uint16_t> port = acpi::io_port(f.reset_reg, 1); !port) return fail(port.error());
  } else if (f.reset_reg.space == static_cast<uint8_t>(acpi::AddressSpace::Memory)) {
    r.mmio = reinterpret_cast<volatile uint8_t*>(CAPOS_TRY(paging::map_mmio(f.reset_reg.address, 1)));
  } else {
    return fail(Err::Unsupported);
  }
  return r;
}

const char* space_name(uint8_t s) { return s == 1 ? "io" : s == 0 ? "mem" : "pci"; }

// Firmware that boots in legacy mode owns the PM registers until asked
// (SMI_CMD <- ACPI_ENABLE); SLP_EN may be ignored before SCI_EN is set.
void enable_acpi_mode() {
  if (arch::inw(g_s5.pm1a) & acpi::PM1_SCI_EN) return;
  if (!g_smi_cmd || !g_acpi_enable) return;
  arch::outb(g_smi_cmd, g_acpi_enable);
  uint64_t end = timer::now_ns() + ACPI_ENABLE_WAIT_NS;
  while (!(arch::inw(g_s5.pm1a) & acpi::PM1_SCI_EN) && timer::now_ns() < end) arch::pause();
}

}  // namespace

void init(uint64_t rsdp_hint) {
  if (rsdp_hint)
    klog("acpi: RSDP from the boot loader at {:#x}\n", rsdp_hint);
  else
    klog("acpi: RSDP by a BIOS-area scan\n");
  Result<Bytes> fadt_bytes = acpi::find_table(rsdp_hint, "FACP");
  Result<acpi::Fadt> fadt = fail(fadt_bytes.error());
  if (fadt_bytes) fadt = acpi::parse_fadt(*fadt_bytes);
  if (!fadt) {
    klog("acpi: no usable FADT ({}): power off only through the debug-exit device, reset by the 8042\n",
         err_name(fadt.error()));
    return;
  }
  klog("acpi: FADT revision {}, {} bytes\n", fadt->revision, fadt_bytes->size());
  if (fadt->smi_cmd <= 0xFFFF) {
    g_smi_cmd = static_cast<uint16_t>(fadt->smi_cmd);
    g_acpi_enable = fadt->acpi_enable;
  }
  if (Result<S5> s5 = find_s5(*fadt)) {
    g_s5 = *s5;
    g_s5_ok = ok_status();
    klog("acpi: power off by S5: PM1a_CNT io {:#x} SLP_TYPa {}, PM1b_CNT {:#x} SLP_TYPb {}\n", g_s5.pm1a,
         g_s5.type.a, g_s5.pm1b, g_s5.type.b);
  } else {
    g_s5_ok = fail(s5.error());
    klog("acpi: no S5 power off ({})\n", err_name(s5.error()));
  }
  if (Result<Reset> r = find_reset(*fadt)) {
    g_reset = *r;
    g_reset_ok = ok_status();
    klog("acpi: reset by RESET_REG {} {:#x} <- {:#x}\n", space_name(g_reset.reg.space), g_reset.reg.address,
         g_reset.value);
  } else {
    g_reset_ok = fail(r.error());
    klog("acpi: no reset register ({}); reset by the 8042\n", err_name(r.error()));
  }
}

Status power_off(uint8_t debug_exit_code) {
  debug_exit::signal(debug_exit_code);  // QEMU with the device exits here
  if (!g_s5_ok) return fail(Err::Unsupported);
  arch::IrqGuard irq;
  enable_acpi_mode();
  klog("capOS: ACPI S5 power off\n");
  uint16_t a = acpi::pm1_sleep_value(arch::inw(g_s5.pm1a), g_s5.type.a);
  uint16_t b = g_s5.pm1b ? acpi::pm1_sleep_value(arch::inw(g_s5.pm1b), g_s5.type.b) : 0;
  // As ACPICA does: SLP_TYP alone first (some chipsets latch it only
  // then), then SLP_TYP | SLP_EN, PM1b before PM1a each time.
  if (g_s5.pm1b) arch::outw(g_s5.pm1b, static_cast<uint16_t>(b & ~acpi::PM1_SLP_EN));
  arch::outw(g_s5.pm1a, static_cast<uint16_t>(a & ~acpi::PM1_SLP_EN));
  if (g_s5.pm1b) arch::outw(g_s5.pm1b, b);
  arch::outw(g_s5.pm1a, a);
  spin_ns(POWER_OFF_WAIT_NS);
  klog("capOS: ACPI S5 had no effect\n");
  return fail(Err::Failed);
}

void reboot() {
  arch::cli();
  if (g_reset_ok) {
    klog("capOS: reset by ACPI RESET_REG\n");
    if (g_reset.mmio)
      *g_reset.mmio = g_reset.value;
    else
      arch::outb(static_cast<uint16_t>(g_reset.reg.address), g_reset.value);
    spin_ns(RESET_WAIT_NS);
    klog("capOS: the ACPI reset register had no effect; trying the 8042\n");
  } else {
    klog("capOS: reset by the 8042\n");
  }
  arch::outb(0x64, 0xFE);  // 8042: pulse the CPU reset line
  spin_ns(RESET_WAIT_NS);
  klog("capOS: the 8042 reset had no effect; triple fault\n");
  struct [[gnu::packed]] {
    uint16_t limit;
    uint64_t base;
  } empty_idt{0, 0};
  asm volatile("lidt %0; int3" : : "m"(empty_idt));
  arch::halt_forever();
}

}  // namespace capos::power
