// memo.h: a small, bounded, thread-safe memo of values derived from the text of a committed
// transaction (the parsed Rules of a RuleSet's JSON, the canonical text a receipt carries of
// it), so that checks stop re-deriving them on every call.
//
// Contract:
//  - Get(id, text, make) returns the value make(text) gave for this (id, text) while it is
//    held; otherwise it calls make(text) (outside the lock, so concurrent checks do not wait
//    on each other's parsing), keeps an OK value and returns it. A hit needs the same id AND
//    byte-identical text: a caller that passes a wrong id still gets its own text's value,
//    never another text's. Errors of make are returned and never kept.
//  - At most `capacity` entries (REQUIRES: capacity >= 1); when full, the least recently
//    used entry is dropped. Values are shared (std::shared_ptr<const T>): a dropped entry
//    stays alive for whoever still holds it.
//  - Two threads missing on the same key at once may both call make; the first value kept
//    wins and both get a value equal to it (make must be a pure function of the text).
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/check.h"
#include "hearth/base/status.h"

namespace hearth::verify {

template <typename T>
class TxTextMemo {
 public:
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
  };

  explicit TxTextMemo(size_t capacity) : capacity_(capacity) { HEARTH_CHECK(capacity >= 1); }
  TxTextMemo(const TxTextMemo&) = delete;
  TxTextMemo& operator=(const TxTextMemo&) = delete;

  // `make`: Result<T>(std::string_view text).
  template <typename Make>
  Result<std::shared_ptr<const T>> Get(const Hash32& id, std::string_view text, Make&& make) {
    {
      std::lock_guard lock(mu_);
      if (Entry* e = Find(id, text); e != nullptr) {
        e->last_use = ++clock_;
        ++hits_;
        return e->value;
      }
      ++misses_;
    }
    Result<T> made = make(text);
    if (!made.ok()) return made.status();
    auto value = std::make_shared<const T>(std::move(made).value());
    std::lock_guard lock(mu_);
    if (Entry* e = Find(id, text); e != nullptr) return e->value;  // another thread was first
    if (entries_.size() >= capacity_) {
      size_t oldest = 0;
      for (size_t i = 1; i < entries_.size(); ++i) {
        if (entries_[i].last_use < entries_[oldest].last_use) oldest = i;
      }
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(oldest));
    }
    entries_.push_back(Entry{id, std::string(text), value, ++clock_});
    return value;
  }

  Stats stats() const {
    std::lock_guard lock(mu_);
    return Stats{hits_, misses_, entries_.size()};
  }

 private:
  struct Entry {
    Hash32 id;
    std::string text;
    std::shared_ptr<const T> value;
    uint64_t last_use = 0;
  };
  // REQUIRES: mu_ held.
  Entry* Find(const Hash32& id, std::string_view text) {
    for (Entry& e : entries_) {
      if (e.id == id && e.text == text) return &e;
    }
    return nullptr;
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // GUARDED_BY(mu_); linear search: capacity is small
  uint64_t clock_ = 0;          // GUARDED_BY(mu_)
  uint64_t hits_ = 0;           // GUARDED_BY(mu_)
  uint64_t misses_ = 0;         // GUARDED_BY(mu_)
};

}  // namespace hearth::verify
