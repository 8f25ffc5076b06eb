#include "user/rt/thread_state.h"

#include "user/rt/transport.h"

namespace capos::rt {

namespace {
ThreadState g_initial;              // the initial thread's (.bss)
RingTransport g_initial_transport;  // small, but has a vtable (.data)
thread_local ThreadState* t_self = &g_initial;  // TLS image: new threads start here too, then bind
}  // namespace

thread_local Ring* t_ring = &g_initial.ring;
thread_local RingTransport* t_transport = &g_initial_transport;

RingTransport& transport() { return *t_transport; }

ThreadState& self() { return *t_self; }
void bind_thread_state(ThreadState* st, RingTransport* tr) {
  t_self = st;
  t_ring = &st->ring;
  t_transport = tr;
}

}  // namespace capos::rt
