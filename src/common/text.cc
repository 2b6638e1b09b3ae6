#include "common/text.h"

#include <fmt/format.h>

namespace sluice {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

size_t Utf8SequenceLength(std::string_view bytes) {
  if (bytes.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (bytes.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string Abbreviate(std::string_view bytes, size_t max_bytes) {
  constexpr std::string_view kEllipsis = "...";
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes) + kEllipsis.size());
  for (size_t i = 0; i < bytes.size() && out.size() <= max_bytes;) {
    const size_t length = Utf8SequenceLength(bytes.substr(i));
    if (length > 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(bytes[i]));
      ++i;
    }
  }
  if (out.size() <= max_bytes) return out;
  // Cut at a character boundary (never inside a multi-byte sequence) and mark the cut.
  size_t cut = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out += kEllipsis;
  return out;
}

void AppendValidUtf8(std::string_view bytes, std::string* out) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t length = Utf8SequenceLength(bytes.substr(i));
    if (length == 0) {
      out->append("\ufffd");
      ++i;
    } else {
      out->append(bytes.substr(i, length));
      i += length;
    }
  }
}

void AppendJsonString(std::string_view bytes, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      // A run of non-ASCII bytes: kept where valid UTF-8 (nothing to escape).
      size_t end = i;
      while (end < bytes.size() && static_cast<unsigned char>(bytes[end]) >= 0x80) ++end;
      AppendValidUtf8(bytes.substr(i, end - i), out);
      i = end;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20) {
          *out += fmt::format("\\u{:04x}", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace sluice
