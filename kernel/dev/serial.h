// COM1 16550 UART: the kernel console and log.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"

namespace capos::serial {

void init();
void write(const char* data, size_t len);    // '\n' becomes "\r\n" (kernel log)
void write_raw(const char* data, size_t len);  // bytes exactly as given (Console.write)
void put(char c);
// Non-blocking receive; returns -1 when no byte is waiting.
int try_get();
bool present();

// Receive path: COM1 RX interrupts fill a 1 KiB buffer (overflow drops
// the newest bytes and is counted). `on_rx` runs in interrupt context.
Status enable_rx_interrupts(void (*on_rx)());
size_t read(char* out, size_t max);
size_t rx_available();
// Bytes dropped because the receive buffer was full since the last call
// (Console.read's droppedBytes is "since the previous read").
uint64_t take_dropped();

}  // namespace capos::serial
