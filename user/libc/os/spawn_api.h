/* posix_spawn's boundary between C (os/spawn.c, newlib's types) and C++
   (os/spawn.cpp). */
#ifndef CAPOS_LIBC_SPAWN_API_H
#define CAPOS_LIBC_SPAWN_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One dup2 file action: the parent's fd `from` becomes the child's `to`. */
typedef struct capos_spawn_dup {
  int from;
  int to;
} capos_spawn_dup;

/* 0 with *pid set, or a capos_errno (os/fd_api.h). argv/envp may be NULL. */
int capos_libc_spawn(const char* binary, char* const argv[], char* const envp[], const capos_spawn_dup* dups,
                     uint32_t n_dups, uint32_t* pid);
/* 0, or the capos::Err of the failure (NotFound: no such child). */
int capos_libc_wait(uint32_t pid, uint32_t* waited, int* status);

/* The child's side of "args": argc/argv/envp from the parent (empty
   argv {binary-less} when there was no "args" grant). */
void capos_libc_start_args(int* argc, char*** argv, char*** envp);
/* The recording fork (os/fork.c): whether dup2/close are being recorded,
   one recorded dup2, and the "child's" _exit (returns only when not
   recording). */
int capos_libc_fork_recording(void);
void capos_libc_fork_dup2(int from, int to);
void capos_libc_fork_exit(void);
/* Before the process ends: pipe output still buffered goes to the parent. */
void capos_libc_streams_finish(void);

#ifdef __cplusplus
}
#endif

#endif
