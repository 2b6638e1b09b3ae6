#pragma once

#include <nlohmann/json.hpp>

#include "pipeline/plan.h"

namespace sluice {

// The pipeline as the status page draws it: nodes (source, decode, derived columns,
// checks, filter, event time, one per output, dead letter, late) and the edges records
// follow between them. Names, kinds, windows, grouping and locations only: no
// expression text, Kafka property or credential.
nlohmann::ordered_json PipelineGraph(const Plan& plan);

}  // namespace sluice
