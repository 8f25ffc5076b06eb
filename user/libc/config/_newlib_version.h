/* The version of the Debian newlib-source package the build unpacks. */
#ifndef _NEWLIB_VERSION_H__
#define _NEWLIB_VERSION_H__ 1
#define _NEWLIB_VERSION "3.3.0"
#define __NEWLIB__ 3
#define __NEWLIB_MINOR__ 3
#define __NEWLIB_PATCHLEVEL__ 0
/* The POSIX options the capOS OS layer implements (user/libc/os). Here
   because sys/features.h, which tests them, includes only this file. */
#define _POSIX_TIMERS 1
#define _POSIX_MONOTONIC_CLOCK 200112L
#define _POSIX_THREADS 1
#endif
