#include "checkpoint/checkpoint.h"

#include <cstring>
#include <map>

#include <arrow/builder.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <zlib.h>

#include "checkpoint/checkpoint_format.h"

namespace sluice {
namespace {

namespace fmt_ = checkpoint_format;

// ---------------------------------------------------------------------------------
// Tables of plain values: a column per field, built from and read into structs.

class TableBuilder {
 public:
  void String(const std::string& name, const std::vector<std::string>& values) {
    arrow::StringBuilder b;
    for (const auto& v : values) status_ &= b.Append(v);
    Add(name, &b);
  }
  void Int64(const std::string& name, const std::vector<std::optional<int64_t>>& values) {
    arrow::Int64Builder b;
    for (const auto& v : values) status_ &= v ? b.Append(*v) : b.AppendNull();
    Add(name, &b);
  }
  void Bool(const std::string& name, const std::vector<bool>& values) {
    arrow::BooleanBuilder b;
    for (bool v : values) status_ &= b.Append(v);
    Add(name, &b);
  }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Finish(int64_t rows) {
    ARROW_RETURN_NOT_OK(status_);
    return arrow::RecordBatch::Make(arrow::schema(fields_), rows, columns_);
  }

 private:
  void Add(const std::string& name, arrow::ArrayBuilder* builder) {
    std::shared_ptr<arrow::Array> array;
    status_ &= builder->Finish(&array);
    if (!array) return;
    fields_.push_back(arrow::field(name, array->type()));
    columns_.push_back(std::move(array));
  }
  arrow::Status status_;
  arrow::FieldVector fields_;
  arrow::ArrayVector columns_;
};

// Reads the columns of a table written by TableBuilder, checking names and types.
class TableReader {
 public:
  TableReader(std::string section, std::shared_ptr<arrow::RecordBatch> batch)
      : section_(std::move(section)), batch_(std::move(batch)) {}
  int64_t rows() const { return batch_->num_rows(); }

  arrow::Result<std::vector<std::string>> String(const std::string& name) const {
    ARROW_ASSIGN_OR_RAISE(auto column, Column(name, arrow::Type::STRING));
    const auto& strings = static_cast<const arrow::StringArray&>(*column);
    std::vector<std::string> out;
    for (int64_t i = 0; i < strings.length(); ++i) out.push_back(strings.GetString(i));
    return out;
  }
  arrow::Result<std::vector<std::optional<int64_t>>> Int64(const std::string& name) const {
    ARROW_ASSIGN_OR_RAISE(auto column, Column(name, arrow::Type::INT64));
    const auto& ints = static_cast<const arrow::Int64Array&>(*column);
    std::vector<std::optional<int64_t>> out;
    for (int64_t i = 0; i < ints.length(); ++i)
      out.push_back(ints.IsNull(i) ? std::nullopt : std::optional<int64_t>(ints.Value(i)));
    return out;
  }
  arrow::Result<std::vector<int64_t>> RequiredInt64(const std::string& name) const {
    ARROW_ASSIGN_OR_RAISE(auto values, Int64(name));
    std::vector<int64_t> out;
    for (const auto& v : values) {
      if (!v) return Damaged("null in column '" + name + "'");
      out.push_back(*v);
    }
    return out;
  }
  arrow::Result<std::vector<bool>> Bool(const std::string& name) const {
    ARROW_ASSIGN_OR_RAISE(auto column, Column(name, arrow::Type::BOOL));
    const auto& bools = static_cast<const arrow::BooleanArray&>(*column);
    std::vector<bool> out;
    for (int64_t i = 0; i < bools.length(); ++i) out.push_back(bools.IsValid(i) && bools.Value(i));
    return out;
  }

 private:
  arrow::Status Damaged(const std::string& what) const {
    return arrow::Status::IOError("checkpoint section '", section_, "': ", what);
  }
  arrow::Result<std::shared_ptr<arrow::Array>> Column(const std::string& name, arrow::Type::type type) const {
    auto column = batch_->GetColumnByName(name);
    if (!column) return Damaged("no column '" + name + "'");
    if (column->type_id() != type) return Damaged("column '" + name + "' has the wrong type");
    return column;
  }
  std::string section_;
  std::shared_ptr<arrow::RecordBatch> batch_;
};

// One value per item: the column of a table.
template <typename R, typename T, typename Fn>
std::vector<R> Each(const std::vector<T>& items, Fn fn) {
  std::vector<R> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(R(fn(item)));
  return out;
}

// ---------------------------------------------------------------------------------
// Framing

arrow::Result<std::shared_ptr<arrow::Buffer>> ToIpc(const arrow::RecordBatch& batch) {
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(sink, batch.schema()));
  ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(batch));
  ARROW_RETURN_NOT_OK(writer->Close());
  return sink->Finish();
}

// One record batch from an IPC stream (an empty table when the stream has none).
arrow::Result<std::shared_ptr<arrow::RecordBatch>> FromIpc(const std::string& section,
                                                           const std::shared_ptr<arrow::Buffer>& payload) {
  auto damaged = [&](const arrow::Status& st) {
    return arrow::Status::IOError("checkpoint section '", section, "' is not readable: ", st.message());
  };
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(std::make_shared<arrow::io::BufferReader>(payload));
  if (!reader.ok()) return damaged(reader.status());
  arrow::RecordBatchVector batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = (*reader)->ReadNext(&batch); !st.ok()) return damaged(st);
    if (!batch) break;
    if (auto st = batch->ValidateFull(); !st.ok()) return damaged(st);
    batches.push_back(std::move(batch));
  }
  if (batches.empty()) return arrow::RecordBatch::MakeEmpty((*reader)->schema());
  if (batches.size() == 1) return batches[0];
  return arrow::ConcatenateRecordBatches(batches);
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t Crc32(const uint8_t* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  arrow::Result<uint64_t> Read(int width) {
    if (size_ - pos_ < static_cast<size_t>(width)) return Truncated();
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += width;
    return v;
  }
  arrow::Result<std::string_view> Take(uint64_t n) {
    if (size_ - pos_ < n) return Truncated();
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  size_t pos() const { return pos_; }

 private:
  static arrow::Status Truncated() { return arrow::Status::IOError("the checkpoint is truncated"); }
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

int64_t Checkpoint::state_rows() const {
  int64_t rows = 0;
  for (const auto& s : states) rows += s.state ? s.state->num_rows() : 0;
  return rows;
}

arrow::Result<std::shared_ptr<arrow::Buffer>> EncodeCheckpoint(const Checkpoint& c) {
  using Int = std::optional<int64_t>;
  std::vector<std::pair<std::string, std::shared_ptr<arrow::RecordBatch>>> sections;
  auto add = [&](std::string_view name, TableBuilder* t, size_t rows) -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto batch, t->Finish(static_cast<int64_t>(rows)));
    sections.emplace_back(std::string(name), std::move(batch));
    return arrow::Status::OK();
  };
  {
    TableBuilder t;
    t.Int64("epoch", {c.epoch});
    t.String("writer", {c.writer});
    t.Int64("processing_time", {c.processing_time});
    t.Int64("created_at", {c.created_at});
    t.String("source", {c.source});
    t.Int64("emitted_watermark", {c.emitted_watermark});
    ARROW_RETURN_NOT_OK(add(fmt_::kMetaSection, &t, 1));
  }
  {
    TableBuilder t;
    t.String("output", Each<std::string>(c.signatures, [](const auto& s) { return s.first; }));
    t.String("signature", Each<std::string>(c.signatures, [](const auto& s) { return s.second; }));
    ARROW_RETURN_NOT_OK(add(fmt_::kOutputsSection, &t, c.signatures.size()));
  }
  {
    using P = PartitionCheckpoint;
    TableBuilder t;
    t.String("topic", Each<std::string>(c.partitions, [](const P& p) { return p.topic; }));
    t.Int64("partition", Each<Int>(c.partitions, [](const P& p) { return p.partition; }));
    t.Int64("next_offset", Each<Int>(c.partitions, [](const P& p) { return p.next_offset; }));
    t.Int64("max_event_time", Each<Int>(c.partitions, [](const P& p) { return p.max_event_time; }));
    t.Int64("watermark_floor", Each<Int>(c.partitions, [](const P& p) { return p.watermark_floor; }));
    t.Int64("replay_from", Each<Int>(c.partitions, [](const P& p) { return p.replay_from; }));
    t.Int64("replay_max_event_time",
            Each<Int>(c.partitions, [](const P& p) { return p.replay_max_event_time; }));
    ARROW_RETURN_NOT_OK(add(fmt_::kPartitionsSection, &t, c.partitions.size()));
  }
  {
    using F = FilePosition;
    TableBuilder t;
    t.String("path", Each<std::string>(c.files, [](const F& f) { return f.path; }));
    t.Int64("lines", Each<Int>(c.files, [](const F& f) { return f.lines; }));
    t.Int64("bytes", Each<Int>(c.files, [](const F& f) { return f.bytes; }));
    t.Bool("finished", Each<bool>(c.files, [](const F& f) { return f.finished; }));
    ARROW_RETURN_NOT_OK(add(fmt_::kFilesSection, &t, c.files.size()));
  }
  {
    using S = StagedOutputFile;
    TableBuilder t;
    t.String("output", Each<std::string>(c.staged, [](const S& s) { return s.output; }));
    t.String("staged", Each<std::string>(c.staged, [](const S& s) { return s.staged; }));
    t.String("final", Each<std::string>(c.staged, [](const S& s) { return s.final; }));
    t.Int64("rows", Each<Int>(c.staged, [](const S& s) { return s.rows; }));
    t.Int64("bytes", Each<Int>(c.staged, [](const S& s) { return s.bytes; }));
    ARROW_RETURN_NOT_OK(add(fmt_::kStagedSection, &t, c.staged.size()));
  }
  {
    using O = OperatorStateCheckpoint;
    std::vector<std::string> names;
    for (size_t i = 0; i < c.states.size(); ++i) {
      names.push_back(std::string(fmt_::kStateSectionPrefix) + std::to_string(i));
    }
    TableBuilder t;
    t.String("output", Each<std::string>(c.states, [](const O& o) { return o.output; }));
    t.String("topic", Each<std::string>(c.states, [](const O& o) { return o.topic; }));
    t.Int64("partition", Each<Int>(c.states, [](const O& o) { return o.partition; }));
    t.String("section", names);
    ARROW_RETURN_NOT_OK(add(fmt_::kStatesSection, &t, c.states.size()));
    for (size_t i = 0; i < c.states.size(); ++i) {
      if (!c.states[i].state)
        return arrow::Status::Invalid("operator state of ", c.states[i].output, " is missing");
      sections.emplace_back(names[i], c.states[i].state);
    }
  }

  std::string out(fmt_::kMagic);
  PutU32(&out, fmt_::kVersion);
  PutU32(&out, static_cast<uint32_t>(sections.size()));
  for (const auto& [name, batch] : sections) {
    ARROW_ASSIGN_OR_RAISE(auto payload, ToIpc(*batch));
    PutU32(&out, static_cast<uint32_t>(name.size()));
    out += name;
    PutU64(&out, static_cast<uint64_t>(payload->size()));
    out.append(reinterpret_cast<const char*>(payload->data()), static_cast<size_t>(payload->size()));
  }
  PutU32(&out, Crc32(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
  return arrow::Buffer::FromString(std::move(out));
}

arrow::Result<Checkpoint> DecodeCheckpoint(const std::shared_ptr<arrow::Buffer>& buffer) {
  const uint8_t* data = buffer->data();
  const size_t size = static_cast<size_t>(buffer->size());
  if (size < fmt_::kMagic.size() + 12 || std::memcmp(data, fmt_::kMagic.data(), fmt_::kMagic.size()) != 0) {
    return arrow::Status::IOError(size < fmt_::kMagic.size() + 12
                                      ? "the checkpoint is truncated"
                                      : "not a sluice checkpoint (bad magic bytes)");
  }
  Cursor cursor(data, size);
  ARROW_RETURN_NOT_OK(cursor.Take(fmt_::kMagic.size()).status());
  ARROW_ASSIGN_OR_RAISE(uint64_t version, cursor.Read(4));
  if (version != fmt_::kVersion) {
    return arrow::Status::NotImplemented("checkpoint format version ", version,
                                         " is not readable by this sluice (it reads version ", fmt_::kVersion,
                                         ")");
  }
  uint32_t stored_crc = 0;
  for (int i = 0; i < 4; ++i) stored_crc |= static_cast<uint32_t>(data[size - 4 + i]) << (8 * i);
  if (Crc32(data, size - 4) != stored_crc) {
    return arrow::Status::IOError("the checkpoint is damaged or truncated (checksum mismatch)");
  }
  Cursor body(data, size - 4);
  ARROW_RETURN_NOT_OK(body.Take(fmt_::kMagic.size() + 4).status());
  ARROW_ASSIGN_OR_RAISE(uint64_t count, body.Read(4));
  if (count > fmt_::kMaxSections) return arrow::Status::IOError("the checkpoint lists too many sections");
  std::map<std::string, std::shared_ptr<arrow::RecordBatch>, std::less<>> sections;
  for (uint64_t s = 0; s < count; ++s) {
    ARROW_ASSIGN_OR_RAISE(uint64_t name_length, body.Read(4));
    if (name_length > fmt_::kMaxSectionName)
      return arrow::Status::IOError("the checkpoint has a bad section name");
    ARROW_ASSIGN_OR_RAISE(std::string_view name, body.Take(name_length));
    ARROW_ASSIGN_OR_RAISE(uint64_t length, body.Read(8));
    const size_t start = body.pos();
    ARROW_RETURN_NOT_OK(body.Take(length).status());
    std::shared_ptr<arrow::Buffer> payload =
        arrow::SliceBuffer(buffer, static_cast<int64_t>(start), static_cast<int64_t>(length));
    if (reinterpret_cast<uintptr_t>(payload->data()) % 8 != 0) {
      // Arrow reads IPC buffers in place, and they must be aligned: copy this one.
      ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> aligned,
                            arrow::AllocateBuffer(static_cast<int64_t>(length)));
      std::memcpy(aligned->mutable_data(), data + start, length);
      payload = std::move(aligned);
    }
    ARROW_ASSIGN_OR_RAISE(auto batch, FromIpc(std::string(name), payload));
    sections[std::string(name)] = std::move(batch);
  }
  auto section = [&](std::string_view name) -> arrow::Result<TableReader> {
    auto it = sections.find(name);
    if (it == sections.end()) return arrow::Status::IOError("the checkpoint has no section '", name, "'");
    return TableReader(std::string(name), it->second);
  };

  Checkpoint c;
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kMetaSection));
    if (t.rows() != 1) return arrow::Status::IOError("checkpoint section 'meta' must have one row");
    ARROW_ASSIGN_OR_RAISE(auto epoch, t.RequiredInt64("epoch"));
    ARROW_ASSIGN_OR_RAISE(auto writer, t.String("writer"));
    ARROW_ASSIGN_OR_RAISE(auto processing_time, t.RequiredInt64("processing_time"));
    ARROW_ASSIGN_OR_RAISE(auto created_at, t.RequiredInt64("created_at"));
    ARROW_ASSIGN_OR_RAISE(auto source, t.String("source"));
    ARROW_ASSIGN_OR_RAISE(auto emitted, t.Int64("emitted_watermark"));
    c.epoch = epoch[0];
    c.writer = writer[0];
    c.processing_time = processing_time[0];
    c.created_at = created_at[0];
    c.source = source[0];
    c.emitted_watermark = emitted[0];
  }
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kOutputsSection));
    ARROW_ASSIGN_OR_RAISE(auto names, t.String("output"));
    ARROW_ASSIGN_OR_RAISE(auto signatures, t.String("signature"));
    for (size_t i = 0; i < names.size(); ++i) c.signatures.emplace_back(names[i], signatures[i]);
  }
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kPartitionsSection));
    ARROW_ASSIGN_OR_RAISE(auto topics, t.String("topic"));
    ARROW_ASSIGN_OR_RAISE(auto partition, t.RequiredInt64("partition"));
    ARROW_ASSIGN_OR_RAISE(auto next, t.RequiredInt64("next_offset"));
    ARROW_ASSIGN_OR_RAISE(auto max_time, t.Int64("max_event_time"));
    ARROW_ASSIGN_OR_RAISE(auto floor, t.Int64("watermark_floor"));
    ARROW_ASSIGN_OR_RAISE(auto replay, t.Int64("replay_from"));
    ARROW_ASSIGN_OR_RAISE(auto replay_max, t.Int64("replay_max_event_time"));
    for (size_t i = 0; i < topics.size(); ++i) {
      c.partitions.push_back(PartitionCheckpoint{topics[i], static_cast<int32_t>(partition[i]), next[i],
                                                 max_time[i], floor[i], replay[i], replay_max[i]});
    }
  }
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kFilesSection));
    ARROW_ASSIGN_OR_RAISE(auto paths, t.String("path"));
    ARROW_ASSIGN_OR_RAISE(auto lines, t.RequiredInt64("lines"));
    ARROW_ASSIGN_OR_RAISE(auto bytes, t.RequiredInt64("bytes"));
    ARROW_ASSIGN_OR_RAISE(auto finished, t.Bool("finished"));
    for (size_t i = 0; i < paths.size(); ++i)
      c.files.push_back(FilePosition{paths[i], lines[i], bytes[i], finished[i]});
  }
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kStagedSection));
    ARROW_ASSIGN_OR_RAISE(auto outputs, t.String("output"));
    ARROW_ASSIGN_OR_RAISE(auto staged, t.String("staged"));
    ARROW_ASSIGN_OR_RAISE(auto finals, t.String("final"));
    ARROW_ASSIGN_OR_RAISE(auto rows, t.RequiredInt64("rows"));
    ARROW_ASSIGN_OR_RAISE(auto bytes, t.RequiredInt64("bytes"));
    for (size_t i = 0; i < outputs.size(); ++i)
      c.staged.push_back(StagedOutputFile{outputs[i], staged[i], finals[i], rows[i], bytes[i]});
  }
  {
    ARROW_ASSIGN_OR_RAISE(auto t, section(fmt_::kStatesSection));
    ARROW_ASSIGN_OR_RAISE(auto outputs, t.String("output"));
    ARROW_ASSIGN_OR_RAISE(auto topics, t.String("topic"));
    ARROW_ASSIGN_OR_RAISE(auto partitions, t.RequiredInt64("partition"));
    ARROW_ASSIGN_OR_RAISE(auto names, t.String("section"));
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto it = sections.find(names[i]);
      if (it == sections.end())
        return arrow::Status::IOError("the checkpoint has no section '", names[i], "'");
      c.states.push_back(
          OperatorStateCheckpoint{outputs[i], topics[i], static_cast<int32_t>(partitions[i]), it->second});
    }
  }
  return c;
}

}  // namespace sluice
