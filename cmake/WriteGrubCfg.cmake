# Writes the grub.cfg for a capOS ISO: boot immediately, serial console.
# MODULES: comma-separated ISO paths passed as Multiboot2 modules.
set(module_lines "")
if(MODULES)
  string(REPLACE "," ";" mods "${MODULES}")
  foreach(m ${mods})
    string(APPEND module_lines "  module2 ${m}\n")
  endforeach()
endif()
# gfxpayload=keep: the kernel asks for no video mode and talks to COM1 only;
# under UEFI there is no text mode for GRUB to restore, and without `keep`
# GRUB-EFI prints "no suitable video mode found" before every boot.
file(WRITE ${OUT} "set timeout=0
set default=0
set gfxpayload=keep
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry \"capOS\" {
  multiboot2 /boot/capos.elf ${CMDLINE}
${module_lines}  boot
}
")
