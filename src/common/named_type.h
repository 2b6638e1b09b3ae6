#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace sluice {

// A value of type T that carries its meaning in its type: an EventTime cannot be
// passed where a KafkaOffset is expected, and there are no implicit conversions in
// either direction. Comparable with values of the same NamedType only.
template <typename T, typename Tag>
class NamedType {
 public:
  using value_type = T;

  constexpr NamedType() = default;
  constexpr explicit NamedType(T value) : value_(value) {}

  constexpr T value() const { return value_; }

  constexpr auto operator<=>(const NamedType&) const = default;

 private:
  T value_{};
};

}  // namespace sluice

template <typename T, typename Tag>
struct std::hash<sluice::NamedType<T, Tag>> {
  size_t operator()(const sluice::NamedType<T, Tag>& v) const { return std::hash<T>{}(v.value()); }
};
