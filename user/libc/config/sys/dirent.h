/* <sys/dirent.h> for capOS (newlib's generic one is an #error): the
   directory stream opendir/readdir return (os/fd.c), one Directory fd and
   one entry at a time. */
#ifndef _SYS_DIRENT_H
#define _SYS_DIRENT_H

#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8

struct dirent {
  ino_t d_ino;          /* always 0: capOS names no inodes */
  unsigned char d_type; /* DT_REG or DT_DIR */
  char d_name[256];
};

typedef struct __capos_dir {
  int fd;
  struct dirent entry;
} DIR;

#define MAXNAMLEN 255

#endif
