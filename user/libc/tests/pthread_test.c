/* pthread_test: POSIX threads over the runtime's threads (booted as init
   by qemu.pthreads with ThreadSpawner and ThreadControl grants). The
   report lines come from the main thread; the stdio check has several
   threads write to one FILE at once (newlib's retargetable locks,
   os/locks.c). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 4, ROUNDS = 20000 };

static int g_failures;

/* errno per thread (os/reent.c): every worker sets its own value, waits
   until all have, then still sees its own; strtol's ERANGE lands in the
   caller's errno too. */
static pthread_mutex_t g_err_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_err_cond = PTHREAD_COND_INITIALIZER;
static int g_err_set;

static void* errno_worker(void* arg) {
  int mine = (int)(intptr_t)arg;
  errno = mine;
  pthread_mutex_lock(&g_err_lock);
  ++g_err_set;
  pthread_cond_broadcast(&g_err_cond);
  while (g_err_set < 4) pthread_cond_wait(&g_err_cond, &g_err_lock);
  pthread_mutex_unlock(&g_err_lock);
  if (errno != mine) return (void*)1;
  errno = 0;
  (void)strtol("99999999999999999999", NULL, 10);
  return errno == ERANGE ? (void*)0 : (void*)2;
}
static void check(int ok, const char* what) {
  printf(ok ? "pthreads: %s ok\n" : "pthreads: FAIL %s\n", what);
  if (!ok) ++g_failures;
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_counter;

static void* add(void* arg) {
  for (int i = 0; i < ROUNDS; ++i) {
    pthread_mutex_lock(&g_lock);
    ++g_counter;
    pthread_mutex_unlock(&g_lock);
  }
  void* block = malloc(1000 + (uintptr_t)arg); /* the heap is shared: locked */
  free(block);
  return (void*)((uintptr_t)arg * 10);
}

/* A one-slot mailbox: the consumer waits on a condition variable. */
static pthread_mutex_t g_box_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_box_cond = PTHREAD_COND_INITIALIZER;
static int g_box = -1;

static void* consumer(void* arg) {
  (void)arg;
  long sum = 0;
  for (int n = 0; n < 100; ++n) {
    pthread_mutex_lock(&g_box_lock);
    while (g_box < 0) pthread_cond_wait(&g_box_cond, &g_box_lock);
    sum += g_box;
    g_box = -1;
    pthread_cond_broadcast(&g_box_cond);
    pthread_mutex_unlock(&g_box_lock);
  }
  return (void*)sum;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_once_runs;
static void once_fn(void) { ++g_once_runs; }

static pthread_key_t g_key;
static int g_dtor_runs;
static pthread_mutex_t g_dtor_lock = PTHREAD_MUTEX_INITIALIZER;
static void dtor(void* v) {
  pthread_mutex_lock(&g_dtor_lock);
  g_dtor_runs += (int)(uintptr_t)v;
  pthread_mutex_unlock(&g_dtor_lock);
}

static void* keyed(void* arg) {
  pthread_once(&g_once, once_fn);
  pthread_setspecific(g_key, arg);
  return pthread_getspecific(g_key);
}

/* Whole lines from several threads into one FILE: a small buffer makes
   stdio flush in the middle of lines, and the FILE's recursive lock must
   keep each fprintf/fputs whole. The sink has its own mutex, so any torn
   line is stdio's doing. */
enum { STDIO_THREADS = 4, STDIO_LINES = 600, BODY = 40 };
static pthread_mutex_t g_sink_lock = PTHREAD_MUTEX_INITIALIZER;
static char* g_sink;
static size_t g_sink_len, g_sink_cap;
static pthread_mutex_t g_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_cond = PTHREAD_COND_INITIALIZER;
static int g_gate_waiting;

static int sink_write(void* cookie, const char* buf, int n) {
  (void)cookie;
  pthread_mutex_lock(&g_sink_lock);
  size_t room = g_sink_cap - g_sink_len;
  size_t take = (size_t)n < room ? (size_t)n : room;
  memcpy(g_sink + g_sink_len, buf, take);
  g_sink_len += take;
  pthread_mutex_unlock(&g_sink_lock);
  /* Linger inside stdio (the caller holds the FILE's lock) so the timer
     preempts writers mid-line, on one vCPU as well as on two: without the
     lock another writer then enters the same FILE and tears the line. */
  for (volatile int spin = 0; spin < 20000; ++spin) {
  }
  return take == (size_t)n ? n : -1;
}

static void stdio_line(char* out, size_t size, int writer, int n) {
  char body[BODY + 1];
  memset(body, 'a' + writer, BODY);
  body[BODY] = 0;
  snprintf(out, size, "stdio %c %04d %s\n", 'A' + writer, n, body);
}

static void* stdio_writer(void* arg) {
  FILE* f = arg;
  int me;
  pthread_mutex_lock(&g_gate_lock); /* start together */
  me = g_gate_waiting++;
  pthread_cond_broadcast(&g_gate_cond);
  while (g_gate_waiting < STDIO_THREADS) pthread_cond_wait(&g_gate_cond, &g_gate_lock);
  pthread_mutex_unlock(&g_gate_lock);
  char body[BODY + 1];
  memset(body, 'a' + me, BODY);
  body[BODY] = 0;
  for (int n = 0; n < STDIO_LINES; ++n) {
    if (n % 2 == 0) {
      /* Several conversions: vfprintf hands __sfvwrite one piece each. */
      if (fprintf(f, "stdio %c %04d %s\n", 'A' + me, n, body) < 0) return (void*)1;
    } else {
      char line[64];
      stdio_line(line, sizeof line, me, n);
      if (fputs(line, f) < 0) return (void*)1;
    }
  }
  return NULL;
}

/* Every line is one writer's line, whole, and each writer's lines arrive
   in its order, all of them. */
static int stdio_lines_whole(void) {
  int next[STDIO_THREADS] = {0};
  size_t at = 0;
  while (at < g_sink_len) {
    const char* nl = memchr(g_sink + at, '\n', g_sink_len - at);
    if (nl == NULL) return 0;
    size_t len = (size_t)(nl - (g_sink + at)) + 1;
    int w = g_sink[at + 6] - 'A';
    if (len < 8 || w < 0 || w >= STDIO_THREADS || next[w] >= STDIO_LINES) return 0;
    char want[64];
    stdio_line(want, sizeof want, w, next[w]);
    if (len != strlen(want) || memcmp(g_sink + at, want, len) != 0) return 0;
    ++next[w];
    at += len;
  }
  for (int w = 0; w < STDIO_THREADS; ++w)
    if (next[w] != STDIO_LINES) return 0;
  return 1;
}

static void check_shared_stdio(void) {
  g_sink_cap = (size_t)STDIO_THREADS * STDIO_LINES * 64;
  g_sink = malloc(g_sink_cap);
  FILE* f = g_sink ? fwopen(NULL, sink_write) : NULL;
  int ok = f != NULL && setvbuf(f, NULL, _IOFBF, 48) == 0;
  pthread_t w[STDIO_THREADS];
  int made = 0;
  for (; ok && made < STDIO_THREADS; ++made) ok &= pthread_create(&w[made], NULL, stdio_writer, f) == 0;
  for (int i = 0; i < made; ++i) {
    void* r = (void*)1;
    pthread_join(w[i], &r);
    ok &= r == NULL;
  }
  ok &= f != NULL && fclose(f) == 0;
  printf("pthreads: stdio sink %zu bytes\n", g_sink_len);
  check(ok && stdio_lines_whole(), "4 threads print whole lines to one FILE");
  free(g_sink);
}

int main(void) {
  pthread_t t[THREADS];
  int started = 1;
  for (uintptr_t i = 0; i < THREADS; ++i) started &= pthread_create(&t[i], NULL, add, (void*)(i + 1)) == 0;
  check(started, "pthread_create x4");
  uintptr_t rets = 0;
  for (int i = 0; i < THREADS; ++i) {
    void* r = NULL;
    pthread_join(t[i], &r);
    rets += (uintptr_t)r;
  }
  printf("pthreads: counter %ld\n", g_counter);
  check(g_counter == (long)THREADS * ROUNDS, "mutex keeps the counter exact");
  check(rets == 10 + 20 + 30 + 40, "join returns each thread's value");

  pthread_t c;
  check(pthread_create(&c, NULL, consumer, NULL) == 0, "consumer started");
  for (int n = 1; n <= 100; ++n) {
    pthread_mutex_lock(&g_box_lock);
    while (g_box >= 0) pthread_cond_wait(&g_box_cond, &g_box_lock);
    g_box = n;
    pthread_cond_broadcast(&g_box_cond);
    pthread_mutex_unlock(&g_box_lock);
  }
  void* sum = NULL;
  pthread_join(c, &sum);
  check((long)(intptr_t)sum == 5050, "condition variable handoff");

  check(pthread_key_create(&g_key, dtor) == 0, "pthread_key_create");
  pthread_t k[3];
  uintptr_t seen = 0;
  for (uintptr_t i = 0; i < 3; ++i) pthread_create(&k[i], NULL, keyed, (void*)(i + 1));
  for (int i = 0; i < 3; ++i) {
    void* r = NULL;
    pthread_join(k[i], &r);
    seen += (uintptr_t)r;
  }
  check(seen == 6 && pthread_getspecific(g_key) == NULL, "thread-specific values are per thread");
  check(g_dtor_runs == 6, "key destructors run at thread end");
  check(g_once_runs == 1, "pthread_once runs once");
  check(pthread_join(t[0], NULL) == ESRCH && pthread_join(pthread_self(), NULL) == EDEADLK, "join errors");
  check(pthread_mutex_trylock(&g_lock) == 0 && pthread_mutex_trylock(&g_lock) == EBUSY &&
            pthread_mutex_unlock(&g_lock) == 0,
        "trylock");
  errno = 4242;
  pthread_t e[4];
  int ok = 1;
  for (intptr_t i = 0; i < 4; ++i) ok &= pthread_create(&e[i], NULL, errno_worker, (void*)(100 + i)) == 0;
  for (int i = 0; i < 4; ++i) {
    void* r = (void*)3;
    if (ok) pthread_join(e[i], &r);
    ok &= r == NULL;
  }
  check(ok && errno == 4242, "errno is per thread (4 threads and main keep their own)");
  check_shared_stdio();
  printf(g_failures ? "pthreads: %d checks FAILED\n" : "pthreads: all checks passed\n", g_failures);
  return g_failures;
}
