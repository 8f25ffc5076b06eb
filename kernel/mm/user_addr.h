// User virtual addresses as their own types, so a user address is never
// an integer the kernel could pass where another was meant:
//   UserAddr  one address in a process's user half (not dereferenceable:
//             the kernel reaches user memory only through AddressSpace).
//   UserIn    [addr, addr+len) the kernel reads (params, descriptors);
//   UserOut   [addr, addr+len) the kernel writes (result, receive buffers).
// An integer becomes a UserAddr only explicitly, where the ABI hands one
// over (an SQE field, CR2, an ELF segment, a layout constant); UserIn and
// UserOut do not convert into each other, so a read range cannot be
// passed as a write range and copy_between's source and destination
// cannot be swapped (tests/compile_fail/user_addr_swap.cpp). Each is one
// or two words, passed in registers: no cost on the copy paths.
// Portable: the host IPC tests use them as the kernel does.
#pragma once

#include <stdint.h>

namespace capos {

class UserAddr {
 public:
  constexpr UserAddr() = default;
  constexpr explicit UserAddr(uint64_t va) : va_(va) {}
  // The integer, for page-table walks, range arithmetic and log lines.
  constexpr uint64_t raw() const { return va_; }
  // `off` bytes further on (the caller's range was checked: no wrap).
  constexpr UserAddr operator+(uint64_t off) const { return UserAddr(va_ + off); }
  constexpr bool operator==(const UserAddr&) const = default;

 private:
  uint64_t va_ = 0;
};

enum class UserAccess : uint8_t { Read, Write };

template <UserAccess A> struct UserSpan {
  UserAddr addr;
  uint64_t len = 0;

  constexpr UserSpan() = default;
  constexpr UserSpan(UserAddr a, uint64_t n) : addr(a), len(n) {}
  // The first `n` bytes / `n` bytes from `off` on. The caller knows the
  // part lies inside (it checked the sizes against len); these only name
  // the part, like pointer arithmetic on a checked buffer.
  constexpr UserSpan first(uint64_t n) const { return UserSpan(addr, n); }
  constexpr UserSpan sub(uint64_t off, uint64_t n) const { return UserSpan(addr + off, n); }
  constexpr bool empty() const { return len == 0; }
};

using UserIn = UserSpan<UserAccess::Read>;
using UserOut = UserSpan<UserAccess::Write>;

}  // namespace capos
