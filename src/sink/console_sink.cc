#include "sink/console_sink.h"

#include <fmt/format.h>

#include "sink/text_table.h"

namespace sluice {

arrow::Status ConsoleSink::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  trigger_rows_ += batch->num_rows();
  const int64_t room = options_.rows - shown_rows_;
  if (room > 0 && batch->num_rows() > 0) {
    shown_.push_back(batch->Slice(0, std::min(room, batch->num_rows())));
    shown_rows_ += shown_.back()->num_rows();
  }
  return arrow::Status::OK();
}

arrow::Result<int64_t> ConsoleSink::CompleteFiles() {
  const int64_t batch = batch_++;
  if (trigger_rows_ == 0) return batch;
  std::string text = fmt::format(
      "-------------------------------------------\nBatch: {}  ({})\n"
      "-------------------------------------------\n",
      batch, name_);
  if (shown_rows_ > 0) {
    ARROW_ASSIGN_OR_RAISE(auto rows, arrow::ConcatenateRecordBatches(shown_));
    text += FormatTable(*rows, options_.rows, trigger_rows_, options_.truncate ? 20 : 0);
  } else {
    text += fmt::format("{} rows\n", trigger_rows_);
  }
  text += "\n";
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
  stats_.rows += trigger_rows_;
  shown_.clear();
  shown_rows_ = 0;
  trigger_rows_ = 0;
  return batch;
}

std::string DescribeConsole(const ConsoleSinkOptions& options) {
  return fmt::format("console ({} rows a trigger{})", options.rows,
                     options.truncate ? ", cells truncated" : "");
}

std::string ConsoleSink::Describe() const { return DescribeConsole(options_); }

}  // namespace sluice
