# gdb script for `make debug` / `make gdb`: kernel symbols, connect to the
# QEMU stub, stop at kmain. Usage: gdb -x tools/gdb/capos.gdb
set confirm off
set pagination off
set disassembly-flavor intel
file build/kernel/capos.elf
target remote localhost:1234
# The first instructions run in 32-bit mode; break once in long mode.
hbreak kmain
continue
