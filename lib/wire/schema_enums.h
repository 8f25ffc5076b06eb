// The one mapping between the runtime's error vocabulary (capos::Err) and
// the schema's CapException types, plus display names for schema enums,
// shared by kernel capabilities, the userspace runtime and services.
#pragma once

#include "lib/core/error.h"
#include "schema/capos.capnp.capos.h"
#include "schema/process.capnp.capos.h"

namespace capos::wire_enums {

namespace wire = schema::wire;

// Err a server failed with -> the CapException type its caller sees.
constexpr wire::ExceptionType exception_type(Err e) {
  switch (e) {
    case Err::InvalidArgument:
    case Err::OutOfRange:
    case Err::Corrupt:
    case Err::Truncated:
    case Err::LimitExceeded:
    case Err::NotFound:
    case Err::AlreadyExists:
    case Err::PermissionDenied:
    case Err::Fault:
    case Err::InterfaceMismatch:
    case Err::InvalidTransfer:
      return wire::ExceptionType::INVALID_ARGUMENT;
    case Err::Overloaded:
    case Err::OutOfMemory:
    case Err::Busy:
    case Err::QuotaExceeded:
      return wire::ExceptionType::OVERLOADED;
    case Err::Disconnected:
    case Err::Stale:
      return wire::ExceptionType::DISCONNECTED;
    case Err::Unsupported:
      return wire::ExceptionType::UNIMPLEMENTED;
    case Err::Failed:
    case Err::InvokeFailed:
    case Err::Cancelled:
    case Err::TimedOut:
    case Err::ValueChanged:
      break;
  }
  return wire::ExceptionType::FAILED;
}

// CapException type a caller received -> the Err its call returns.
constexpr Err exception_err(wire::ExceptionType t) {
  switch (t) {
    case wire::ExceptionType::OVERLOADED: return Err::Overloaded;
    case wire::ExceptionType::DISCONNECTED: return Err::Disconnected;
    case wire::ExceptionType::UNIMPLEMENTED: return Err::Unsupported;
    case wire::ExceptionType::INVALID_ARGUMENT: return Err::InvalidArgument;
    case wire::ExceptionType::FAILED: break;
  }
  return Err::Failed;
}

constexpr const char* log_level_name(wire::LogLevel l) {
  switch (l) {
    case wire::LogLevel::ERROR: return "error";
    case wire::LogLevel::WARN: return "warn";
    case wire::LogLevel::INFO: return "info";
    case wire::LogLevel::DEBUG: return "debug";
    case wire::LogLevel::TRACE: return "trace";
  }
  return "unknown";
}

constexpr const char* fault_name(wire::FaultKind k) {
  switch (k) {
    case wire::FaultKind::PAGE_FAULT: return "page fault";
    case wire::FaultKind::GENERAL_PROTECTION: return "general protection fault";
    case wire::FaultKind::INVALID_OPCODE: return "invalid opcode";
    case wire::FaultKind::DIVIDE_ERROR: return "divide error";
    case wire::FaultKind::BREAKPOINT: return "breakpoint";
    case wire::FaultKind::FLOATING_POINT: return "floating-point exception";
    case wire::FaultKind::ALIGNMENT_CHECK: return "alignment check";
    case wire::FaultKind::STACK_SEGMENT: return "stack segment fault";
    case wire::FaultKind::UNKNOWN: break;
  }
  return "cpu exception";
}

}  // namespace capos::wire_enums
