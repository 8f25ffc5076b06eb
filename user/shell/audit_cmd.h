// The shell's `audit` command (docs/identity.md): reads the whole AuditLog
// through the operator bundle's `audit` cap, verifies the hash chain
// (user/services/identity/audit_chain.h) and that it ends at the log's
// current head, and prints the last records.
#pragma once

#include <stdint.h>

namespace capos::shell {

// Shows the last `show` records (1 to 20).
void cmd_audit(uint32_t show);

}  // namespace capos::shell
