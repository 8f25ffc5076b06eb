// Endpoint IPC wire structures (ABI: docs/abi.md). The kernel never parses
// message payloads; it only frames them with these fixed headers.
#pragma once

#include <stdint.h>

namespace capos::abi {

// Written at the start of the server's RECV buffer, followed by the
// params bytes, followed by xfer_count CapTransferRecords.
struct EndpointMessageHeader {
  uint32_t call_id;        // quote in RETURN
  uint16_t method_id;
  uint16_t xfer_count;     // capability records after the params
  uint64_t interface_id;   // interface the caller's facet serves
  uint32_t params_len;
  uint32_t flags;          // MSG_F_*
  // Caller session, service-scoped: an opaque 128-bit reference derived by
  // the kernel from a boot secret, the endpoint's scope and the caller's
  // session. Identity as data, never authority.
  uint64_t scoped_ref_lo;
  uint64_t scoped_ref_hi;
  uint64_t session_epoch;
  uint64_t reserved;
};
static_assert(sizeof(EndpointMessageHeader) == 56);

constexpr uint32_t MSG_F_SESSION_LIVE = 1u << 0;

// Sideband capability transfer descriptor (CALL and RETURN, at xfer_addr).
constexpr uint8_t XFER_COPY = 1;
constexpr uint8_t XFER_MOVE = 2;
struct CapTransferDesc {
  uint32_t cap_id;
  uint8_t mode;        // XFER_COPY or XFER_MOVE
  uint8_t reserved[3]; // must be zero
};
static_assert(sizeof(CapTransferDesc) == 8);
constexpr uint32_t XFER_MAX = 16;  // descriptors per SQE

// Appended after the payload delivered to the receiver (RECV buffer or the
// caller's result buffer): the receiver's new CapIds, in descriptor order.
struct CapTransferRecord {
  uint32_t cap_id;
  uint32_t flags;  // XFER_REC_*
  uint64_t interface_id;
};
static_assert(sizeof(CapTransferRecord) == 16);
// The object is an endpoint's client facet: its calls are answered by the
// process serving the endpoint, whatever interface id the endpoint's maker
// chose. A service that needs a kernel object (e.g. a MemoryObject to map)
// refuses a record with this bit.
constexpr uint32_t XFER_REC_SERVED = 1u << 0;

// Bounds (per endpoint unless noted).
// Calls one caller process may have waiting for a RECV at one endpoint.
// There is no global queue bound: every queued call is paid for by its
// caller (OutstandingCalls), so the queue is bounded by the callers' own
// quotas and a few flooding clients cannot lock everyone else out.
constexpr uint32_t ENDPOINT_QUEUE_PER_CALLER = 8;
constexpr uint32_t ENDPOINT_RECV_MAX = 16;       // RECVs waiting for a call
constexpr uint32_t ENDPOINT_INFLIGHT_MAX = 64;   // delivered, awaiting RETURN
constexpr uint32_t IPC_MESSAGE_MAX = 16384;      // params or results bytes
// Largest useful RECV buffer: header, params and every transfer record.
constexpr uint32_t RECV_BUFFER_MAX =
    sizeof(EndpointMessageHeader) + IPC_MESSAGE_MAX + XFER_MAX * sizeof(CapTransferRecord);

}  // namespace capos::abi
