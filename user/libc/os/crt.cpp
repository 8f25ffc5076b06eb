// The C++ main of every libc program (linked as an object, so the
// libcapos bridge in user/libcapos/c_main.cpp is not pulled): runs the C
// `main` and leaves through exit(), so atexit handlers run and stdio is
// flushed before the process ends.
extern "C" int capos_libc_user_main() __asm__("main");
extern "C" [[noreturn]] void exit(int status);

int main() { exit(capos_libc_user_main()); }
