#include "user/drivers/virtio_net.h"

#include "lib/core/cstring.h"
#include "lib/net/link.h"

namespace capos::drivers {

namespace wire = schema::wire;

namespace {
constexpr uint64_t F_MAC = 1ull << 5;
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
constexpr uint32_t PAGES = VirtioNet::RX_BUFFERS * VirtioNet::BUFFER / 4096;
static_assert(PAGES <= DmaBuffer::MAX_PAGES, "one DmaBuffer per direction");
}  // namespace

Status VirtioNet::start(rt::Cap<wire::DeviceManager> manager) {
  static const uint16_t ids[] = {0x1041, 0x1000};  // modern, transitional
  found_ = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 2)));
  mmio_ = CAPOS_TRY(claim(manager, found_.bus, found_.dev, found_.fn));
  t_ = CAPOS_TRY(virtio::Transport::open(mmio_));
  uint64_t features = CAPOS_TRY(t_.negotiate(F_MAC | F_ACCESS_PLATFORM));
  pool_ = CAPOS_TRY(dma_pool(mmio_, 2 + 2 * PAGES));
  irq_ = CAPOS_TRY(route_interrupt(mmio_, 0));
  CAPOS_TRY_STATUS(rxq_.init(t_, pool_, 0, 0));
  CAPOS_TRY_STATUS(txq_.init(t_, pool_, 1, 0));
  rx_ = CAPOS_TRY(dma_alloc(pool_, PAGES));
  tx_ = CAPOS_TRY(dma_alloc(pool_, PAGES));
  if (features & F_MAC) {
    if (!t_.device || t_.device_len < 6) return fail(Err::Unsupported);
    for (int i = 0; i < 6; ++i) mac_.b[i] = t_.device[i];
  } else {
    mac_ = net::Mac{{0x52, 0x54, 0x00, 0xCA, 0x05, 0x01}};  // locally administered
  }
  t_.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
                virtio::status::DRIVER_OK);
  for (uint32_t i = 0; i < RX_BUFFERS; ++i) CAPOS_TRY_STATUS(post_rx(i));
  kick();
  return {};
}

Status VirtioNet::post_rx(uint32_t i) {
  virtio::Desc d{rx_.iova_at(i * BUFFER), BUFFER, virtio::DESC_WRITE, 0};
  uint16_t head = CAPOS_TRY(rxq_.submit(&d, 1));
  rx_of_head_[head] = uint8_t(i);
  rx_kick_ = true;
  return {};
}

Result<size_t> VirtioNet::receive(MutBytes out) {
  uint16_t head;
  uint32_t len;
  if (!CAPOS_TRY(rxq_.take_used(&head, &len))) return fail(Err::NotFound);
  uint32_t i = rx_of_head_[head];
  if (len < HEADER || len > BUFFER || out.size() < len - HEADER) return fail(Err::Corrupt);
  size_t n = len - HEADER;
  memcpy(out.data(), rx_.va + i * BUFFER + HEADER, n);
  CAPOS_TRY_STATUS(post_rx(i));
  return n;
}

Status VirtioNet::reclaim_tx() {
  uint16_t head;
  uint32_t len;
  while (CAPOS_TRY(txq_.take_used(&head, &len))) tx_busy_[tx_of_head_[head]] = false;
  return {};
}

Status VirtioNet::send(Bytes frame) {
  if (frame.size() > net::ETH_MAX_FRAME) return fail(Err::InvalidArgument);
  CAPOS_TRY_STATUS(reclaim_tx());
  uint32_t i = tx_next_;
  if (tx_busy_[i]) return fail(Err::Overloaded);
  uint8_t* b = tx_.va + i * BUFFER;
  memset(b, 0, HEADER);  // no offloads
  memcpy(b + HEADER, frame.data(), frame.size());
  virtio::Desc d{tx_.iova_at(i * BUFFER), uint32_t(HEADER + frame.size()), 0, 0};
  uint16_t head = CAPOS_TRY(txq_.submit(&d, 1));
  tx_of_head_[head] = uint8_t(i);
  tx_busy_[i] = true;
  tx_next_ = (i + 1) % TX_BUFFERS;
  tx_kick_ = true;
  return {};
}

void VirtioNet::kick() {
  if (rx_kick_) rxq_.notify();
  if (tx_kick_) txq_.notify();
  rx_kick_ = tx_kick_ = false;
}

}  // namespace capos::drivers
