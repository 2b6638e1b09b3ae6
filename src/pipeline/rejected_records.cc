#include "pipeline/rejected_records.h"

#include <arrow/array/util.h>
#include <arrow/scalar.h>

#include "pipeline/plan.h"
#include "schema/schema.h"

namespace sluice {

RejectedRecordBuilder::RejectedRecordBuilder()
    : event_time_(TimestampType(), arrow::default_memory_pool()),
      watermark_(TimestampType(), arrow::default_memory_pool()) {}

arrow::Status RejectedRecordBuilder::Add(const RawBatch& raw, const Rejection& rejection,
                                         const std::string* output, std::optional<int64_t> watermark) {
  const RecordPosition& position = raw.position(rejection.record);
  ARROW_RETURN_NOT_OK(raw_.Append(raw.record(rejection.record)));
  ARROW_RETURN_NOT_OK(source_.Append(raw.source_name(rejection.record)));
  ARROW_RETURN_NOT_OK(partition_.Append(position.partition));
  ARROW_RETURN_NOT_OK(offset_.Append(position.offset.value()));
  ARROW_RETURN_NOT_OK(stage_.Append(StageName(rejection.stage).data(), StageName(rejection.stage).size()));
  ARROW_RETURN_NOT_OK(reason_.Append(rejection.reason));
  ARROW_RETURN_NOT_OK(output ? output_.Append(*output) : output_.AppendNull());
  ARROW_RETURN_NOT_OK(rejection.event_time ? event_time_.Append(*rejection.event_time)
                                           : event_time_.AppendNull());
  ARROW_RETURN_NOT_OK(watermark ? watermark_.Append(*watermark) : watermark_.AppendNull());
  ++rows_;
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RejectedRecordBuilder::Finish(int64_t processed_at) {
  arrow::ArrayVector columns(9);
  ARROW_RETURN_NOT_OK(raw_.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(source_.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(partition_.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(offset_.Finish(&columns[3]));
  ARROW_RETURN_NOT_OK(stage_.Finish(&columns[4]));
  ARROW_RETURN_NOT_OK(reason_.Finish(&columns[5]));
  ARROW_RETURN_NOT_OK(output_.Finish(&columns[6]));
  ARROW_RETURN_NOT_OK(event_time_.Finish(&columns[7]));
  ARROW_RETURN_NOT_OK(watermark_.Finish(&columns[8]));
  ARROW_ASSIGN_OR_RAISE(auto processed, arrow::MakeArrayFromScalar(
                                            arrow::TimestampScalar(processed_at, TimestampType()), rows_));
  columns.push_back(std::move(processed));
  auto batch = arrow::RecordBatch::Make(RejectedRecordSchema(), rows_, std::move(columns));
  rows_ = 0;
  return batch;
}

}  // namespace sluice
