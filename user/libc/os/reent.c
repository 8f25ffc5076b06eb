/* Per-thread newlib state. newlib is built with __DYNAMIC_REENT__
   (config/newlib.h), so every `errno`, strtok/rand/asctime scratch and
   the formatters' big-number freelists go through __getreent(): the main
   thread (and any thread not made by pthread_create) keeps newlib's
   global struct _reent (_impure_ptr, which also owns atexit and the stdio
   glue); a pthread gets its own in thread-local storage when it starts
   and has it reclaimed when it ends. stdin, stdout and stderr stay the
   three global FILEs for every thread (_REENT_GLOBAL_STDIO_STREAMS).
   docs/posix.md. */
#include <reent.h>
#include <string.h>

static _Thread_local struct _reent t_reent;
static _Thread_local struct _reent* t_ptr;

struct _reent* __getreent(void) { return t_ptr ? t_ptr : _impure_ptr; }

/* os/pthread.c, first thing in a new thread. */
void capos_libc_reent_thread_start(void) {
  _REENT_INIT_PTR(&t_reent);
  t_ptr = &t_reent;
}

/* os/pthread.c, last thing before a thread ends: frees what newlib
   allocated for this thread (dtoa's freelists, ...). */
void capos_libc_reent_thread_end(void) {
  if (t_ptr == NULL) return;
  _reclaim_reent(t_ptr);
  t_ptr = NULL;
}
