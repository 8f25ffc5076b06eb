// Clang thread-safety analysis (-Wthread-safety, an error in every build):
// a lock is a "capability", shared data names the capability that guards
// it, and a function that touches guarded data without holding it does
// not compile. docs/concurrency.md lists which capability guards what.
// Under a compiler without the analysis the macros expand to nothing.
#pragma once

#if defined(__clang__)
#define CAPOS_TSA(x) __attribute__((x))
#else
#define CAPOS_TSA(x)
#endif

#define CAPOS_CAPABILITY(name) CAPOS_TSA(capability(name))
#define CAPOS_SCOPED_CAPABILITY CAPOS_TSA(scoped_lockable)
#define CAPOS_GUARDED_BY(x) CAPOS_TSA(guarded_by(x))
#define CAPOS_PT_GUARDED_BY(x) CAPOS_TSA(pt_guarded_by(x))
#define CAPOS_REQUIRES(...) CAPOS_TSA(requires_capability(__VA_ARGS__))
#define CAPOS_ACQUIRE(...) CAPOS_TSA(acquire_capability(__VA_ARGS__))
#define CAPOS_RELEASE(...) CAPOS_TSA(release_capability(__VA_ARGS__))
#define CAPOS_TRY_ACQUIRE(...) CAPOS_TSA(try_acquire_capability(__VA_ARGS__))
#define CAPOS_EXCLUDES(...) CAPOS_TSA(locks_excluded(__VA_ARGS__))
#define CAPOS_ASSERT_CAPABILITY(x) CAPOS_TSA(assert_capability(x))
#define CAPOS_RETURN_CAPABILITY(x) CAPOS_TSA(lock_returned(x))
// Only for code the analysis cannot follow (a lock handed across a
// context switch); say why at every use.
#define CAPOS_NO_THREAD_SAFETY_ANALYSIS CAPOS_TSA(no_thread_safety_analysis)
