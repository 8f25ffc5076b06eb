/* newlib's retargetable locks (newlib.h: _RETARGETABLE_LOCKING), so that
   stdio, atexit, the environment and the time zone are safe to use from
   several pthreads at once. newlib calls __retarget_lock_* through the
   __lock_* macros of <sys/lock.h>; the lock word is the runtime's PARK
   mutex (rt::Mutex, through os/threads.cpp), and the recursive kind adds
   an owner and a depth, since a FILE's lock is taken again by the calls
   nested inside printf (__sfvwrite, fflush, ...). docs/posix.md. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/lock.h>

void capos_libc_mutex_lock(uint32_t* w);
_Bool capos_libc_mutex_trylock(uint32_t* w);
void capos_libc_mutex_unlock(uint32_t* w);

struct __lock {
  uint32_t word;         /* rt::Mutex: 0 free, 1 locked, 2 contended */
  uint32_t depth;        /* recursive kind: times the owner holds it */
  const void* owner;     /* recursive kind: the holder's identity, or 0 */
  _Bool recursive;       /* acquire (not only acquire_recursive) nests */
};

/* A thread's identity: the address of a thread-local object, unique
   among the live threads of this program, main thread included. */
static _Thread_local char t_identity;

/* The locks newlib declares with __LOCK_INIT / __LOCK_INIT_RECURSIVE
   (the names are newlib's, misc/lock.c lists them). */
struct __lock __lock___sinit_recursive_mutex = {0, 0, 0, 1};
struct __lock __lock___sfp_recursive_mutex = {0, 0, 0, 1};
struct __lock __lock___atexit_recursive_mutex = {0, 0, 0, 1};
struct __lock __lock___at_quick_exit_mutex = {0, 0, 0, 0};
struct __lock __lock___malloc_recursive_mutex = {0, 0, 0, 1};
struct __lock __lock___env_recursive_mutex = {0, 0, 0, 1};
struct __lock __lock___tz_mutex = {0, 0, 0, 0};
struct __lock __lock___dd_hash_mutex = {0, 0, 0, 0};
struct __lock __lock___arc4random_mutex = {0, 0, 0, 0};

/* Where a lock for a FILE (or another dynamic object) goes when the heap
   has no room for its own: every such object then shares this recursive
   lock, which serialises more than needed but never less. */
static struct __lock g_shared_fallback = {0, 0, 0, 1};

static void lock_new(_LOCK_T* lock, _Bool recursive) {
  struct __lock* l = malloc(sizeof *l);
  if (l == NULL) {
    *lock = &g_shared_fallback;
    return;
  }
  l->word = 0;
  l->depth = 0;
  l->owner = NULL;
  l->recursive = recursive;
  *lock = l;
}

void __retarget_lock_init(_LOCK_T* lock) { lock_new(lock, 0); }
void __retarget_lock_init_recursive(_LOCK_T* lock) { lock_new(lock, 1); }

static void lock_free(_LOCK_T lock) {
  if (lock == NULL || lock == &g_shared_fallback) return;
  free(lock);
}
void __retarget_lock_close(_LOCK_T lock) { lock_free(lock); }
void __retarget_lock_close_recursive(_LOCK_T lock) { lock_free(lock); }

/* The owner field is read without the mutex only to ask "is it me?": a
   thread only ever finds its own identity there if it stored it itself. */
static _Bool held_by_me(const struct __lock* l) {
  return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == &t_identity;
}

static void take(struct __lock* l) {
  __atomic_store_n(&l->owner, &t_identity, __ATOMIC_RELAXED);
  l->depth = 1;
}

void __retarget_lock_acquire_recursive(_LOCK_T l) {
  if (held_by_me(l)) {
    l->depth++;
    return;
  }
  capos_libc_mutex_lock(&l->word);
  take(l);
}

int __retarget_lock_try_acquire_recursive(_LOCK_T l) {
  if (held_by_me(l)) {
    l->depth++;
    return 1;
  }
  if (!capos_libc_mutex_trylock(&l->word)) return 0;
  take(l);
  return 1;
}

void __retarget_lock_release_recursive(_LOCK_T l) {
  if (--l->depth != 0) return;
  __atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
  capos_libc_mutex_unlock(&l->word);
}

/* The plain kind: the mutex alone. A lock that fell back to the shared
   recursive one keeps recursive behaviour (two plain locks may share it). */
void __retarget_lock_acquire(_LOCK_T l) {
  if (l->recursive) {
    __retarget_lock_acquire_recursive(l);
    return;
  }
  capos_libc_mutex_lock(&l->word);
}

int __retarget_lock_try_acquire(_LOCK_T l) {
  if (l->recursive) return __retarget_lock_try_acquire_recursive(l);
  return capos_libc_mutex_trylock(&l->word) ? 1 : 0;
}

void __retarget_lock_release(_LOCK_T l) {
  if (l->recursive) {
    __retarget_lock_release_recursive(l);
    return;
  }
  capos_libc_mutex_unlock(&l->word);
}
