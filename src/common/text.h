#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

// Text of arbitrary bytes made fit for a message or a utf8 column: valid UTF-8 is kept,
// every byte that is not part of a valid UTF-8 sequence becomes "\xHH", and when the
// result would exceed `max_bytes` it is cut at a character boundary and ends in "...".
// The result is always valid UTF-8.
std::string Abbreviate(std::string_view bytes, size_t max_bytes);

// Appends `bytes` to `out` with every byte that is not part of a valid UTF-8 sequence
// replaced by U+FFFD: the result is always valid UTF-8.
void AppendValidUtf8(std::string_view bytes, std::string* out);

// Appends `bytes` to `out` as a JSON string literal (with the quotes): quotes,
// backslashes and control characters escaped, and every byte that is not part of a
// valid UTF-8 sequence replaced by U+FFFD, so that the result is always valid JSON.
void AppendJsonString(std::string_view bytes, std::string* out);

// Length of the valid UTF-8 sequence starting at bytes[0], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view bytes);

}  // namespace sluice
