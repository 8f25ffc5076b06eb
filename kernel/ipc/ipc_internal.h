// Internals shared by the endpoint objects and the IPC paths.
#pragma once

#include "kernel/ipc/endpoint.h"

namespace capos::ipc {

// Completes every queued call, pending RECV and in-flight call of a dead
// endpoint with CAP_ERR_DISCONNECTED.
void fail_everything(EndpointCore& core) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::ipc
