#include "window/slot_pool.h"

namespace sluice {

uint32_t SlotPool::Allocate() {
  ++live_;
  if (!free_.empty()) {
    uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (next_ == capacity_) {
    capacity_ = capacity_ == 0 ? 1024 : capacity_ * 2;
    for (auto& acc : accumulators_) acc->Resize(capacity_);
  }
  return next_++;
}

void SlotPool::Free(uint32_t slot) {
  for (auto& acc : accumulators_) acc->Reset(slot);
  free_.push_back(slot);
  --live_;
}

void SlotPool::Update(const arrow::ArrayVector& values, const int64_t* event_times,
                      std::vector<int32_t>* rows, std::vector<uint32_t>* slots) {
  if (rows->empty()) return;
  for (size_t c = 0; c < accumulators_.size(); ++c) {
    accumulators_[c]->Update(values[c].get(), event_times, rows->data(), slots->data(),
                             static_cast<int64_t>(rows->size()));
  }
  rows->clear();
  slots->clear();
}

arrow::FieldVector SlotPool::StateFields() const {
  arrow::FieldVector fields;
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    for (const auto& field : accumulators_[a]->state_fields()) {
      fields.push_back(arrow::field("acc" + std::to_string(a) + "_" + field->name(), field->type()));
    }
  }
  return fields;
}

arrow::Result<arrow::ArrayVector> SlotPool::ExportState(const std::vector<uint32_t>& slots) const {
  arrow::ArrayVector columns;
  for (const auto& acc : accumulators_) {
    ARROW_ASSIGN_OR_RAISE(auto state, acc->ExportState(slots.data(), static_cast<int64_t>(slots.size())));
    for (auto& column : state) columns.push_back(std::move(column));
  }
  return columns;
}

arrow::Status SlotPool::ImportState(const arrow::RecordBatch& batch, int first_column,
                                    const std::vector<uint32_t>& slots) {
  int column = first_column;
  for (auto& acc : accumulators_) {
    arrow::ArrayVector state;
    for (size_t c = 0; c < acc->state_fields().size(); ++c) state.push_back(batch.column(column++));
    ARROW_RETURN_NOT_OK(acc->ImportState(state, slots.data()));
  }
  return arrow::Status::OK();
}

}  // namespace sluice
