// The SqeHandler both ring engine suites drive the engine with: it records
// every SQE it is handed, leaves CALLs pending and completes everything
// else with result 7 (so a CQE the engine wrote itself, result 0, can be
// told from one the handler filled).
#pragma once

#include <vector>

#include "kernel/ring/ring_engine.h"

namespace capos::test {

struct RecordingSqeHandler final : SqeHandler {
  std::vector<abi::CapSqe> seen;
  Outcome handle(const abi::CapSqe& sqe, abi::CapCqe* cqe) override {
    seen.push_back(sqe);
    if (sqe.opcode == abi::CAP_OP_CALL) return Outcome::Pending;
    cqe->result = 7;
    return Outcome::Completed;
  }
};

}  // namespace capos::test
