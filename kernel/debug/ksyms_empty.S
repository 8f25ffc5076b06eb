// Stage-1 link: an empty symbol table (the kernel then reports none).
.section .ksyms, "a"
.long 0
