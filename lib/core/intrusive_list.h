// Intrusive doubly linked list: the element embeds its ListNode, so
// linking never allocates (scheduler queues, wait lists, free lists).
#pragma once

#include <stddef.h>

namespace capos {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  bool linked() const { return next != nullptr; }
};

// Member is a pointer-to-member naming the embedded node. A list whose
// length nobody asks (Counted false) does not maintain its count: one memory
// increment less per link and unlink on hot paths.
template <class T, ListNode T::*Member, bool Counted = true> class IntrusiveList {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next == &head_; }
  size_t size() const
    requires Counted
  {
    return size_;
  }

  void push_back(T* item) { insert_before(&head_, node(item)); }
  void push_front(T* item) { insert_before(head_.next, node(item)); }
  T* front() const { return empty() ? nullptr : owner(head_.next); }
  T* back() const { return empty() ? nullptr : owner(head_.prev); }
  T* pop_front() {
    if (empty()) return nullptr;
    T* t = owner(head_.next);
    remove(t);
    return t;
  }
  void remove(T* item) {
    ListNode* n = node(item);
    if (!n->linked()) __builtin_trap();  // double unlink is a kernel bug
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    if constexpr (Counted) --size_;
  }
  // Links `item` right before `pos` (which must be on this list).
  void insert_before_item(T* pos, T* item) { insert_before(node(pos), node(item)); }
  // Next element after `item`, or nullptr at the end (for iteration).
  T* next(T* item) const {
    ListNode* n = node(item)->next;
    return n == &head_ ? nullptr : owner(n);
  }

 private:
  static ListNode* node(T* item) { return &(item->*Member); }
  static T* owner(const ListNode* n) {
    // offsetof for a pointer-to-member, computed without UB on a null object.
    alignas(T) static const unsigned char probe[sizeof(T)] = {};
    const T* p = reinterpret_cast<const T*>(probe);
    size_t off = reinterpret_cast<const unsigned char*>(&(p->*Member)) - probe;
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(n) - off);
  }
  void insert_before(ListNode* pos, ListNode* n) {
    if (n->linked()) __builtin_trap();  // already on a list
    n->next = pos;
    n->prev = pos->prev;
    pos->prev->next = n;
    pos->prev = n;
    if constexpr (Counted) ++size_;
  }
  ListNode head_;
  size_t size_ = 0;
};

}  // namespace capos
