// The capability ring: one 4 KiB page per process at RING_VADDR shared
// between the process (SQ producer, CQ consumer) and the kernel (SQ
// consumer, CQ producer). Byte layout is ABI (docs/abi.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::abi {

// 2: one ring per thread (layout.h ring_vaddr); 3: 32 SQ entries (was 16;
// the CQ moved to offset 2304), so a full SQ batch is io_uring's batch 32.
constexpr uint32_t RING_ABI_VERSION = 3;
constexpr uint32_t SQ_ENTRIES = 32;
constexpr uint32_t CQ_ENTRIES = 32;
// The kernel handles at most this many SQEs per cap_enter pass.
constexpr uint32_t SQ_BATCH_MAX = SQ_ENTRIES;

// Opcodes, listed once: name, value, status. Values outside this table are
// CAP_ERR_INVALID_REQUEST; reserved-but-undispatched ones answer
// CAP_ERR_UNSUPPORTED_OPCODE.
#define CAPOS_RING_OPCODES(X) \
  X(NOP, 0)                   \
  X(CALL, 1)                  \
  X(RECV, 2)                  \
  X(RETURN, 3)                \
  X(RELEASE, 4)               \
  X(FINISH, 5)                \
  X(PARK, 6)                  \
  X(UNPARK, 7)
constexpr uint8_t CAP_OP_COUNT = 8;

enum CapOp : uint8_t {
#define CAPOS_X(name, value) CAP_OP_##name = value,
  CAPOS_RING_OPCODES(CAPOS_X)
#undef CAPOS_X
};

// SQE flags.
constexpr uint8_t SQE_F_EXCEPTION = 1u << 0;  // RETURN: result is a CapException
constexpr uint8_t SQE_F_PIPELINE = 1u << 1;   // reserved (promise pipelining); rejected today
constexpr uint8_t SQE_F_KNOWN = SQE_F_EXCEPTION;

// Submission queue entry, 64 bytes.
struct CapSqe {
  uint8_t opcode;
  uint8_t flags;
  uint16_t method_id;      // CALL: method ordinal
  uint32_t cap_id;         // CALL/RECV/RELEASE: target CapId
  uint64_t user_data;      // echoed in the CQE
  uint64_t params_addr;    // CALL/RETURN: message bytes
  uint32_t params_len;
  uint32_t result_len;     // CALL/RECV: capacity of the result buffer
  uint64_t result_addr;
  uint32_t call_id;        // RETURN: which call is answered
  uint16_t xfer_count;     // capability transfer descriptors at xfer_addr
  uint16_t reserved0;      // must be zero
  uint64_t xfer_addr;
  uint64_t interface_id;   // CALL: interface the caller expects (0 = unchecked)
};
static_assert(sizeof(CapSqe) == 64, "CapSqe is 64 bytes");

// CQE flags.
constexpr uint32_t CQE_F_EXCEPTION = 1u << 0;  // result buffer holds a CapException
constexpr uint32_t CQE_F_CAPS = 1u << 1;       // cap transfer records follow the payload

// Completion queue entry, 32 bytes.
struct CapCqe {
  uint64_t user_data;
  int32_t result;      // >= 0: bytes written to the result buffer; < 0: CAP_ERR_*
  uint32_t flags;
  uint32_t call_id;    // RECV: id to quote in RETURN
  uint32_t cap_count;  // number of transfer records appended after the payload
  uint64_t aux;        // opcode-specific (RECV: method id | interface index)
};
static_assert(sizeof(CapCqe) == 32, "CapCqe is 32 bytes");

// Ring header status bits (kernel-written).
constexpr uint32_t RING_STATUS_SQ_CORRUPT = 1u << 0;
constexpr uint32_t RING_STATUS_CQ_CORRUPT = 1u << 1;

// The header occupies the first 256 bytes; producer- and consumer-owned
// words sit in separate cache lines.
struct RingHeader {
  // Line 0: written by userspace.
  uint32_t sq_tail;
  uint32_t cq_head;
  uint32_t user_reserved[14];
  // Line 1: written by the kernel (userspace writes are ignored: the
  // kernel keeps private copies and rewrites these).
  uint32_t sq_head;
  uint32_t cq_tail;
  uint32_t status;          // RING_STATUS_*
  uint32_t cq_full_stalls;  // SQEs left unconsumed because the CQ was full
  uint32_t corrupt_events;  // corrupted-index detections
  uint32_t kernel_reserved[11];
  // Line 2: constants, written once by the kernel.
  uint32_t abi_version;
  uint32_t sq_entries;
  uint32_t cq_entries;
  uint32_t sq_offset;
  uint32_t cq_offset;
  uint32_t const_reserved[11];
  uint32_t reserved[16];
};
static_assert(sizeof(RingHeader) == 256, "RingHeader is 256 bytes");

constexpr uint32_t RING_SQ_OFFSET = 256;
constexpr uint32_t RING_CQ_OFFSET = RING_SQ_OFFSET + SQ_ENTRIES * sizeof(CapSqe);
constexpr uint32_t RING_BYTES = RING_CQ_OFFSET + CQ_ENTRIES * sizeof(CapCqe);
static_assert(RING_BYTES <= 4096, "ring fits one page");

struct RingPage {
  RingHeader header;
  CapSqe sq[SQ_ENTRIES];
  CapCqe cq[CQ_ENTRIES];
};
static_assert(offsetof(RingPage, sq) == RING_SQ_OFFSET);
static_assert(offsetof(RingPage, cq) == RING_CQ_OFFSET);

// cap_enter timeout encodings.
constexpr uint64_t CAP_ENTER_NO_WAIT = 0;
constexpr uint64_t CAP_ENTER_FOREVER = ~0ull;

}  // namespace capos::abi
