// Shell commands that query one service each (info_cmds.cpp).
#pragma once

#include "user/shell/command_args.h"

namespace capos::shell {

void cmd_motd(const Args& a);
void cmd_hostname(const Args& a);
void cmd_uptime(const Args& a);
void cmd_random(const Args& a);
void cmd_mem(const Args& a);
void cmd_ps(const Args& a);
void cmd_man(const Args& a);
void cmd_apropos(const Args& a);
void cmd_shutdown(const Args& a);
void cmd_reboot(const Args& a);

}  // namespace capos::shell
