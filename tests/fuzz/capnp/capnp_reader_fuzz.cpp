// libFuzzer target for the Cap'n Proto reader (lib/capnp): parse the
// stream framing (init and a call's init_params, which must agree; the
// inline root against get_struct), walk every reachable object, read the root as each
// pointer kind, then deep-copy the message through the builder and check
// the copy walks to the same size. Any crash, sanitizer report or hang is
// a bug; errors are the expected outcome for most inputs.
#include <stddef.h>
#include <stdint.h>

#include "lib/capnp/message.h"
#include "lib/capnp/traverse.h"

using namespace capos;
using namespace capos::capnp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small limits keep each input cheap; they are still limits under test.
  ReaderOptions opts;
  opts.traversal_limit_words = 1 << 16;
  opts.nesting_limit = 32;
  // A call's params (init_params) parse exactly as init() for any
  // non-empty input; zero bytes are the default struct.
  {
    StreamReader<32> a, b;
    Status sa = a.init_params(Bytes(data, size), opts), sb = b.init(Bytes(data, size), opts);
    if (size == 0 ? !sa.ok() || !a.root().ok() : sa.ok() != sb.ok()) __builtin_trap();
    // root()'s inline path answers what get_struct answers (a message
    // whose first segment is empty has no root: root() says Truncated).
    const Segment* s0 = sa.ok() ? a.context().segment(0) : nullptr;
    if (size > 0 && s0 != nullptr && s0->words == 0 && a.root().error() != Err::Truncated) __builtin_trap();
    if (size > 0 && s0 != nullptr && s0->words > 0) {
      auto ra = a.root();
      auto rb = b.root_pointer().get_struct();
      if (ra.ok() != rb.ok() || a.context().budget() != b.context().budget()) __builtin_trap();
      if (ra.ok() && (ra->data() != rb->data() || ra->data_bits() != rb->data_bits() ||
                      ra->pointer_count() != rb->pointer_count() || ra->nesting() != rb->nesting()))
        __builtin_trap();
      if (!ra.ok() && ra.error() != rb.error()) __builtin_trap();
    }
  }
  StreamReader<32> reader;
  if (!reader.init(Bytes(data, size), opts).ok()) return 0;

  PointerReader root = reader.root_pointer();
  auto total = total_words(root);
  (void)root.get_text();
  (void)root.get_data();
  (void)root.get_capability();
  (void)root.get_list(ElementSize::Bit);
  if (auto l = root.get_list(ElementSize::InlineComposite); l.ok())
    for (uint32_t i = 0; i < l->size() && i < 64; ++i) (void)l->get_struct(i).get<uint64_t>(0);
  if (auto s = reader.root(); s.ok()) {
    volatile uint64_t sink = s->get<uint64_t>(0) ^ s->get<uint32_t>(3) ^ s->get_bool(5);
    (void)sink;
  }
  if (!total.ok()) return 0;

  // Re-encode through the builder: the copy must be valid and equal in size.
  static uint64_t buf[1 << 17];
  reader.context() = ReadContext(reader.context().segment(0), reader.context().segment_count(), opts);
  FixedMessageBuilder copy(MutBytes(reinterpret_cast<uint8_t*>(buf), sizeof buf));
  auto dst = copy.root_pointer();
  if (!dst.ok() || !dst->copy_from(reader.root_pointer()).ok()) return 0;
  StreamReader<1> again;
  if (!again.init(copy.framed(), opts).ok()) __builtin_trap();
  auto total2 = total_words(again.root_pointer());
  if (!total2.ok() || *total2 != *total) __builtin_trap();
  return 0;
}
