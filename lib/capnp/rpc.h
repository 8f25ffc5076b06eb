// The seam between generated clients/servers and whatever carries calls.
// Generated clients call Transport::call with an interface id, a method
// ordinal and the params message; the capOS ring transport (kernel SQE
// CALL/RETURN) implements it later. Generated servers implement
// Server::dispatch. LoopbackTransport joins the two in-process for tests.
#pragma once

#include "lib/capnp/message.h"

namespace capos::capnp {

// Caller-owned storage for one reply; the transport writes the framed
// reply bytes into buffer() and calls complete().
class Response {
 public:
  explicit Response(MutBytes buffer, ReaderOptions opts = {}) : buf_(buffer), opts_(opts) {}
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  MutBytes buffer() const { return buf_; }
  // The reply occupies buffer()[0, size): parse its framing.
  Status complete(size_t size) {
    if (size > buf_.size()) return fail(Err::OutOfRange);
    return reader_.init(Bytes(buf_.data(), size), opts_);
  }
  Result<StructReader> root() { return reader_.root(); }

 private:
  MutBytes buf_;
  ReaderOptions opts_;
  StreamReader<8> reader_;
};

class Transport {
 public:
  // Invoke `method_id` of `interface_id` on the capability `target` (a
  // transport-defined handle, e.g. a CapId). On success `response` holds
  // the reply. Errors are transport or server failures.
  virtual Status call(uint64_t target, uint64_t interface_id, uint16_t method_id,
                      const MessageBuilder& params, Response& response) = 0;
  // The same call with no params message (params_len = 0): the callee
  // reads the default struct (docs/abi.md "Empty params"). Generated
  // clients use it for every method whose params struct has no fields.
  virtual Status call_no_params(uint64_t target, uint64_t interface_id, uint16_t method_id,
                                Response& response) = 0;

 protected:
  ~Transport() = default;
};

class Server {
 public:
  virtual uint64_t interface_id() const = 0;
  // Decode `params`, run the method, build the results into `results`.
  // Unknown methods fail with Unsupported.
  virtual Status dispatch(uint64_t interface_id, uint16_t method_id, StructReader params,
                          MessageBuilder& results) = 0;

 protected:
  ~Server() = default;
};

// In-process transport: targets index a table of servers. Params and
// results go through their serialized framing, so the server decodes
// exactly the bytes a remote peer would see (with reader limits).
class LoopbackTransport : public Transport {
 public:
  // `scratch` holds the serialized params and the results under
  // construction; its size bounds both.
  LoopbackTransport(Span<Server*> servers, MutBytes scratch, ReaderOptions opts = {})
      : servers_(servers), scratch_(scratch), opts_(opts) {}

  Status call(uint64_t target, uint64_t interface_id, uint16_t method_id,
              const MessageBuilder& params, Response& response) override;
  Status call_no_params(uint64_t target, uint64_t interface_id, uint16_t method_id, Response& response) override;

 private:
  Status dispatch(uint64_t target, uint64_t interface_id, uint16_t method_id, Bytes params, MutBytes results,
                  Response& response);
  Span<Server*> servers_;
  MutBytes scratch_;
  ReaderOptions opts_;
};

}  // namespace capos::capnp
