// Support for code emitted by capnpc-capos (tools/capnpc-capos): the one
// header every generated .capos.h includes. Generated code uses only
// inline functions and constexpr data, so it compiles freestanding.
#pragma once

#include "lib/capnp/list.h"
#include "lib/capnp/message.h"
#include "lib/capnp/cap.h"
#include "lib/capnp/rpc.h"

namespace capos::capnp {

// Nesting limit applied when reading compiled-in default values/constants.
constexpr int32_t kDefaultValueNesting = 64;

// A struct-typed schema constant: a compiled-in one-segment message.
template <class S> struct ConstStruct {
  const Segment* seg;
  Result<typename S::Reader> get() const {
    return typename S::Reader(CAPOS_TRY(PointerReader(nullptr, seg, seg->start, kDefaultValueNesting).get_struct()));
  }
};

// A list-typed schema constant.
template <class L> struct ConstList {
  const Segment* seg;
  Result<typename L::Reader> get() const {
    return L::read(PointerReader(nullptr, seg, seg->start, kDefaultValueNesting));
  }
};

}  // namespace capos::capnp
