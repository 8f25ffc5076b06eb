/* <unistd.h> for capOS: newlib's, plus fork() as the recording
   fork-for-exec (os/fork.c, docs/posix.md): fork() returns 0 without
   creating anything; dup2/close up to the following exec*() are
   recorded, and exec*() becomes a posix_spawn of the recorded actions,
   after which fork() returns a second time, in the parent, with the
   child's pid. Only the fork-then-exec pattern works (the vfork
   contract): the code between fork and exec runs in the parent. */
#include_next <unistd.h>

#if !defined(_CAPOS_UNISTD_FORK) && !defined(_COMPILING_NEWLIB)
#define _CAPOS_UNISTD_FORK
#ifdef __cplusplus
extern "C" {
#endif
extern void* __capos_fork_jb[5];
pid_t __capos_fork_begin(void);
pid_t __capos_fork_parent(void);
#ifdef __cplusplus
}
#endif
/* setjmp in the caller's own frame: fork's "second return" lands there. */
#define fork() (__builtin_setjmp(__capos_fork_jb) ? __capos_fork_parent() : __capos_fork_begin())
#define vfork() fork()
#endif
