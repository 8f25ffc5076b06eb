# Writes the grub.cfg for a capOS ISO: boot immediately, serial console.
file(WRITE ${OUT} "set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry \"capOS\" {
  multiboot2 /boot/capos.elf ${CMDLINE}
  boot
}
")
