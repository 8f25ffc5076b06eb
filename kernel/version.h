#pragma once

#define CAPOS_VERSION "0.1.0"
#define CAPOS_BANNER                                              \
  "   ____            ___  ____\n"                               \
  "  / ___|__ _ _ __ / _ \\/ ___|\n"                              \
  " | |   / _` | '_ \\ | | \\___ \\\n"                           \
  " | |__| (_| | |_) | |_| |___) |\n"                            \
  "  \\____\\__,_| .__/ \\___/|____/\n"                          \
  "            |_|   capOS " CAPOS_VERSION " -- capabilities all the way down"
