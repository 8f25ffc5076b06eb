// Compile-fail probe for typed caps in userspace (docs/capnp.md): a
// generated Client accepts only a cap of its own interface, so a Console
// client built on the Timer cap that capset_find<Timer> returned does not
// compile. Built twice by tests/compile_fail/check.py: with
// -DCAPOS_PROBE_CONTROL (a Timer client on it) it must compile; without,
// the Console client must be rejected.
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"

namespace wire = capos::schema::wire;

bool probe() {
  auto timer = capos::rt::capset_find<wire::Timer>("timer");
  if (!timer) return false;
#ifdef CAPOS_PROBE_CONTROL
  wire::Timer::Client client(&capos::rt::transport(), *timer);
#else
  wire::Console::Client client(&capos::rt::transport(), *timer);
#endif
  return client.target().id() == timer->id();
}
