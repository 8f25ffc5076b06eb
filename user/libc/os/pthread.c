/* POSIX threads over the runtime's threads and PARK-based locks
   (os/threads.cpp). Needs the ThreadSpawner and ThreadControl grants
   (pthread_create: EAGAIN without them). Attributes are ignored except
   that a non-NULL attr is accepted; thread-specific data lives in
   _Thread_local slots; destructors run when the thread function returns
   or calls pthread_exit. Each thread has its own errno and newlib state
   (os/reent.c); newlib's stdio locks are no-ops, so FILEs are shared
   without locking (docs/posix.md). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "capos/capos.h"

int capos_libc_thread_start(int64_t (*fn)(void*), void* arg, void** handle);
int capos_libc_thread_join(void* handle);
void capos_libc_thread_detach(void* handle);
_Noreturn void capos_libc_thread_exit(void);
void capos_libc_mutex_lock(uint32_t* w);
bool capos_libc_mutex_trylock(uint32_t* w);
void capos_libc_mutex_unlock(uint32_t* w);
void capos_libc_cond_wait(uint32_t* c, uint32_t* m);
void capos_libc_cond_signal(uint32_t* c);
void capos_libc_cond_broadcast(uint32_t* c);

enum { MAX_THREADS = 64, MAX_KEYS = 32 };
#define STATIC_INIT 0xFFFFFFFFu /* newlib's PTHREAD_*_INITIALIZER */

/* One slot per started thread; pthread_t is its index + 1 (the initial
   thread is MAX_THREADS + 1). Guarded by g_table_lock. */
struct thread_slot {
  bool used, detached;
  void* handle;
  void* (*fn)(void*);
  void* arg;
  void* ret;
};
static struct thread_slot g_threads[MAX_THREADS];
static uint32_t g_table_lock;

static _Thread_local pthread_t t_self = MAX_THREADS + 1;
static _Thread_local void* t_values[MAX_KEYS];
static void (*g_key_dtors[MAX_KEYS])(void*);
static bool g_key_used[MAX_KEYS];

static uint32_t* word(uint32_t* w) {
  /* A statically initialized object becomes a free lock/condvar (0) on
     first use; racing first users agree through the CAS. */
  uint32_t expect = STATIC_INIT;
  __atomic_compare_exchange_n(w, &expect, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return w;
}

static void run_key_destructors(void) {
  for (int round = 0; round < 4; ++round) {
    bool any = false;
    for (int k = 0; k < MAX_KEYS; ++k) {
      void* v = t_values[k];
      if (v && g_key_used[k] && g_key_dtors[k]) {
        t_values[k] = NULL;
        g_key_dtors[k](v);
        any = true;
      }
    }
    if (!any) return;
  }
}

void capos_libc_reent_thread_start(void);
void capos_libc_reent_thread_end(void);

static int64_t trampoline(void* p) {
  struct thread_slot* s = p;
  capos_libc_reent_thread_start();
  t_self = (pthread_t)(s - g_threads) + 1;
  s->ret = s->fn(s->arg);
  run_key_destructors();
  capos_libc_reent_thread_end();
  return 0;
}

int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  (void)attr;
  capos_libc_mutex_lock(&g_table_lock);
  int i = 0;
  while (i < MAX_THREADS && g_threads[i].used) ++i;
  if (i == MAX_THREADS) {
    capos_libc_mutex_unlock(&g_table_lock);
    return EAGAIN;
  }
  struct thread_slot* s = &g_threads[i];
  *s = (struct thread_slot){true, false, NULL, fn, arg, NULL};
  capos_libc_mutex_unlock(&g_table_lock);
  void* h;
  int err = capos_libc_thread_start(trampoline, s, &h);
  capos_libc_mutex_lock(&g_table_lock);
  if (err != 0) {
    s->used = false;
    capos_libc_mutex_unlock(&g_table_lock);
    return err == CAPOS_E_INVALID_ARGUMENT ? EINVAL : EAGAIN;
  }
  s->handle = h;
  capos_libc_mutex_unlock(&g_table_lock);
  *t = (pthread_t)i + 1;
  return 0;
}

static struct thread_slot* slot_of(pthread_t t) {
  if (t < 1 || t > MAX_THREADS || !g_threads[t - 1].used || g_threads[t - 1].detached) return NULL;
  return &g_threads[t - 1];
}

int pthread_join(pthread_t t, void** ret) {
  if (t == t_self) return EDEADLK;
  capos_libc_mutex_lock(&g_table_lock);
  struct thread_slot* s = slot_of(t);
  void* h = s ? s->handle : NULL;
  if (s) s->handle = NULL; /* one joiner */
  capos_libc_mutex_unlock(&g_table_lock);
  if (s == NULL || h == NULL) return ESRCH;
  int err = capos_libc_thread_join(h);
  capos_libc_mutex_lock(&g_table_lock);
  if (ret) *ret = s->ret;
  s->used = false;
  capos_libc_mutex_unlock(&g_table_lock);
  return err == 0 ? 0 : EINVAL;
}

int pthread_detach(pthread_t t) {
  capos_libc_mutex_lock(&g_table_lock);
  struct thread_slot* s = slot_of(t);
  if (s == NULL || s->handle == NULL) {
    capos_libc_mutex_unlock(&g_table_lock);
    return ESRCH;
  }
  capos_libc_thread_detach(s->handle);
  s->handle = NULL;
  s->detached = true; /* the slot is not reused: its trampoline still writes ret */
  capos_libc_mutex_unlock(&g_table_lock);
  return 0;
}

pthread_t pthread_self(void) { return t_self; }
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

void pthread_exit(void* ret) {
  if (t_self >= 1 && t_self <= MAX_THREADS) g_threads[t_self - 1].ret = ret;
  run_key_destructors();
  capos_libc_reent_thread_end();
  capos_libc_thread_exit();
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) {
  (void)attr;
  *m = 0;
  return 0;
}
int pthread_mutex_destroy(pthread_mutex_t* m) { return *m == 0 || *m == STATIC_INIT ? 0 : EBUSY; }
int pthread_mutex_lock(pthread_mutex_t* m) {
  capos_libc_mutex_lock(word(m));
  return 0;
}
int pthread_mutex_trylock(pthread_mutex_t* m) { return capos_libc_mutex_trylock(word(m)) ? 0 : EBUSY; }
int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (*m == 0 || *m == STATIC_INIT) return EPERM; /* not locked */
  capos_libc_mutex_unlock(m);
  return 0;
}

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr) {
  (void)attr;
  *c = 0;
  return 0;
}
int pthread_cond_destroy(pthread_cond_t* c) {
  (void)c;
  return 0;
}
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  capos_libc_cond_wait(word(c), word(m));
  return 0;
}
int pthread_cond_signal(pthread_cond_t* c) {
  capos_libc_cond_signal(word(c));
  return 0;
}
int pthread_cond_broadcast(pthread_cond_t* c) {
  capos_libc_cond_broadcast(word(c));
  return 0;
}

static uint32_t g_once_lock;
int pthread_once(pthread_once_t* once, void (*fn)(void)) {
  if (__atomic_load_n(&once->init_executed, __ATOMIC_ACQUIRE)) return 0;
  capos_libc_mutex_lock(&g_once_lock); /* one initializer at a time, process-wide */
  if (!once->init_executed) {
    fn();
    __atomic_store_n(&once->init_executed, 1, __ATOMIC_RELEASE);
  }
  capos_libc_mutex_unlock(&g_once_lock);
  return 0;
}

int pthread_key_create(pthread_key_t* key, void (*dtor)(void*)) {
  capos_libc_mutex_lock(&g_table_lock);
  for (int k = 0; k < MAX_KEYS; ++k) {
    if (!g_key_used[k]) {
      g_key_used[k] = true;
      g_key_dtors[k] = dtor;
      capos_libc_mutex_unlock(&g_table_lock);
      *key = (pthread_key_t)k;
      return 0;
    }
  }
  capos_libc_mutex_unlock(&g_table_lock);
  return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
  if (key >= MAX_KEYS || !g_key_used[key]) return EINVAL;
  g_key_used[key] = false;
  return 0;
}

void* pthread_getspecific(pthread_key_t key) { return key < MAX_KEYS && g_key_used[key] ? t_values[key] : NULL; }

int pthread_setspecific(pthread_key_t key, const void* value) {
  if (key >= MAX_KEYS || !g_key_used[key]) return EINVAL;
  t_values[key] = (void*)value;
  return 0;
}

/* Cancellation does not exist (no pthread_cancel), so every thread is
   always in the "disabled" state; newlib's stdio brackets its locked
   sections with these. */
int pthread_setcancelstate(int state, int* old) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  if (old) *old = PTHREAD_CANCEL_DISABLE;
  return 0;
}

int pthread_setcanceltype(int type, int* old) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) return EINVAL;
  if (old) *old = PTHREAD_CANCEL_DEFERRED;
  return 0;
}
