// The virtio-net device (virtio 1.x 5.1) for a userspace network stack:
// one receive and one transmit split virtqueue, every frame buffer in
// the function's DmaPool, completions signalled on one MSI-X vector.
// Receive buffers are re-posted as soon as their frame is copied out;
// transmit buffers are reclaimed when the device reports them used.
// Nothing the device wrote is trusted: a used length outside the buffer
// or an unknown descriptor id is a device fault.
#pragma once

#include "lib/net/wire.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"

namespace capos::drivers {

class VirtioNet {
 public:
  static constexpr uint32_t RX_BUFFERS = 32;
  static constexpr uint32_t TX_BUFFERS = 32;
  static constexpr uint32_t BUFFER = 2048;
  static constexpr uint32_t HEADER = 12;  // virtio_net_hdr with num_buffers (VERSION_1)

  // Claims the first unclaimed virtio-net function and brings it up.
  Status start(rt::Cap<schema::wire::DeviceManager> manager);
  const net::Mac& mac() const { return mac_; }
  rt::Cap<schema::wire::Interrupt> irq() const { return irq_; }
  const Found& where() const { return found_; }

  // Copies one received frame into `out` (>= 1514 bytes) and gives its
  // buffer back to the device. Err::NotFound: nothing received.
  // Err::Corrupt: the device reported an impossible length or id.
  Result<size_t> receive(MutBytes out);
  // Queues one frame (at most 1514 bytes). Err::Overloaded: every
  // transmit buffer is still with the device.
  Status send(Bytes frame);
  // Tells the device about frames queued by send() and buffers returned
  // by receive() since the last call (one notification per batch).
  void kick();

 private:
  Status post_rx(uint32_t i);
  Status reclaim_tx();

  Found found_{};
  rt::Cap<schema::wire::DeviceMmio> mmio_;
  rt::Cap<schema::wire::DmaPool> pool_;
  rt::Cap<schema::wire::Interrupt> irq_;
  virtio::Transport t_;
  virtio::Queue rxq_, txq_;
  DmaBuffer rx_, tx_;
  net::Mac mac_;
  uint8_t rx_of_head_[virtio::Queue::MAX_SIZE] = {};
  uint8_t tx_of_head_[virtio::Queue::MAX_SIZE] = {};
  bool tx_busy_[TX_BUFFERS] = {};
  uint32_t tx_next_ = 0;
  bool rx_kick_ = false, tx_kick_ = false;
};

}  // namespace capos::drivers
