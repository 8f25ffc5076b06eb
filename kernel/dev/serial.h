// COM1 16550 UART: the kernel console and log.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::serial {

void init();
void write(const char* data, size_t len);
void put(char c);
// Non-blocking receive; returns -1 when no byte is waiting.
int try_get();
bool present();

}  // namespace capos::serial
