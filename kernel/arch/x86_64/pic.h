// Legacy 8259 PICs: remapped away from the exception vectors and fully
// masked; capOS uses the LAPIC (and later the IOAPIC).
#pragma once

namespace capos::arch {
void pic_disable();
}
