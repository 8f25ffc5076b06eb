// The runtime (user/rt/rt.cpp) calls the C++ `int main()`; freestanding
// C++ mangles it, so a C program's `main` is a different symbol. This
// bridge is the C++ main of every C program (pulled from the archive only
// when the program defines no C++ main).
extern "C" int capos_c_main() __asm__("main");

int main() { return capos_c_main(); }
