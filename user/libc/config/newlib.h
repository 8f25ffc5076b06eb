/* newlib configuration for capOS (what newlib's configure would write into
   newlib.h): C99 and long long printf formats, positional args, dynamic
   atexit. The runtime (user/rt) runs init arrays itself. */
#ifndef __NEWLIB_H__
#define __NEWLIB_H__ 1
#include <_newlib_version.h>
#define _WANT_IO_C99_FORMATS 1
#define _WANT_IO_LONG_LONG 1
#define _WANT_IO_POS_ARGS 1
#define _MB_LEN_MAX 1
#define _ATEXIT_DYNAMIC_ALLOC 1
#define _HAVE_LONG_DOUBLE 1
#define _LDBL_EQ_DBL 0
#define _FVWRITE_IN_STREAMIO 1
#define _FSEEK_OPTIMIZATION 1
#define _WIDE_ORIENT 1
#define _UNBUF_STREAM_OPT 1
/* Per-thread struct _reent through __getreent() (os/reent.c): errno per
   thread. The three standard streams stay global FILEs. */
#define __DYNAMIC_REENT__ 1
#define _REENT_GLOBAL_STDIO_STREAMS 1
/* --enable-newlib-retargetable-locking: the __lock_* calls of stdio,
   atexit, env and tz go to __retarget_lock_* (os/locks.c), so one FILE
   is safe to share between pthreads. */
#define _RETARGETABLE_LOCKING 1
#endif
