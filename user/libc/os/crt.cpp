// The C++ main of every libc program (linked as an object, so the
// libcapos bridge in user/libcapos/c_main.cpp is not pulled): takes argv
// and envp from the parent (os/args.cpp), runs the C `main` and leaves
// through exit(), so atexit handlers run and stdio is flushed before the
// process ends.
#include "user/libc/os/spawn_api.h"

extern "C" int capos_libc_user_main(int argc, char** argv, char** envp) __asm__("main");
extern "C" [[noreturn]] void exit(int status);
extern "C" char** environ;

int main() {
  int argc;
  char** argv;
  char** envp;
  capos_libc_start_args(&argc, &argv, &envp);
  environ = envp;
  exit(capos_libc_user_main(argc, argv, envp));
}
