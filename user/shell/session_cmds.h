// Identity commands of the shell (docs/identity.md): login, setup, guest,
// logout, passwd, adduser, whoami. Each asks the SessionManager ("sessions" cap), which
// reads passwords on its own terminal client, so no secret passes through
// the shell; the reply's bundle replaces the shell's session caps.
#pragma once

#include "lib/core/cstring.h"

namespace capos::shell {

// At start: an anonymous session and its bundle. False if the shell holds
// no SessionManager (then it runs with its CapSet alone).
bool begin_anonymous();
void cmd_login(StrView user);
void cmd_setup(StrView user);
void cmd_guest();
void cmd_logout();
// Changes the current account's password (SessionManager.passwd).
void cmd_passwd();
// Adds an account (operator sessions; SessionManager.adduser); `role` is
// "operator" or "guest" (empty: guest).
void cmd_adduser(StrView user, StrView role);
void cmd_whoami();
// "user@" for the prompt ("" when anonymous).
StrView session_user();

}  // namespace capos::shell
