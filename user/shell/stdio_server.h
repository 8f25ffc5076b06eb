// The StdIO a child started with `run ... { stdio: client @stdio }` talks
// to (schema/identity.capnp): served by the shell on the terminal until
// the child ends.
#pragma once

#include "schema/ipc.capnp.capos.h"
#include "user/rt/caps_call.h"

namespace capos::shell {

// Serves StdIO on `owner` until `until` (ProcessLauncher.wait) completes,
// then releases `owner`, so the child's StdIO cap goes stale with it.
Status serve_stdio(rt::Cap<schema::wire::Endpoint> owner, rt::AsyncCall& until);

}  // namespace capos::shell
