#include "ops/pipeline_graph.h"

#include "common/text.h"
#include "common/time_util.h"

namespace sluice {
namespace {

using json = nlohmann::ordered_json;

json Names(const std::vector<CompiledExpression>& expressions) {
  json names = json::array();
  for (const auto& e : expressions) names.push_back(e.name);
  return names;
}

}  // namespace

json PipelineGraph(const Plan& plan) {
  json nodes = json::array();
  json edges = json::array();
  std::string last;
  auto node = [&](std::string id, std::string kind, std::string label, json detail) {
    nodes.push_back(
        {{"id", id}, {"kind", std::move(kind)}, {"label", std::move(label)}, {"detail", std::move(detail)}});
    return id;
  };
  auto chain = [&](std::string id) {
    if (!last.empty()) edges.push_back({{"from", last}, {"to", id}});
    last = std::move(id);
  };

  if (plan.kafka) {
    const auto& k = *plan.kafka;
    chain(node("source", "kafka",
               k.pattern.empty() ? "kafka " + JoinNames(k.topics) : "kafka pattern " + k.pattern,
               {{"group_id", k.group_id}, {"topics", k.topics}, {"pattern", k.pattern}}));
  } else {
    chain(node("source", "files", "files " + plan.spec.source.files->path,
               {{"path", plan.spec.source.files->path}, {"follow", plan.spec.source.files->follow}}));
  }
  chain(node("decode", "decode",
             plan.spec.format + ", " + std::to_string(plan.input_schema.fields().size()) + " fields",
             {{"format", plan.spec.format}, {"fields", plan.input_schema.fields().size()}}));
  if (!plan.columns.empty()) {
    chain(node("columns", "columns", std::to_string(plan.columns.size()) + " derived columns",
               {{"names", Names(plan.columns)}}));
  }
  if (!plan.checks.empty()) {
    chain(node("checks", "checks", std::to_string(plan.checks.size()) + " checks",
               {{"names", Names(plan.checks)}}));
  }
  const std::string validated = last;
  if (plan.filter) chain(node("filter", "filter", "filter", json::object()));
  if (plan.event_time_column >= 0) {
    const std::string column = plan.row_schema->field(plan.event_time_column)->name();
    chain(node("event_time", "event_time", "event time " + column,
               {{"column", column}, {"watermark_delay", FormatDuration(plan.watermark_delay)}}));
  }
  const std::string before_outputs = last;
  for (const OutputPlan& output : plan.outputs) {
    json detail = json::object();
    if (output.parquet) detail["path"] = output.parquet->spec.path;
    if (output.console) detail["console"] = true;
    std::string kind = "raw";
    std::string label = output.name;
    if (output.aggregation) {
      kind = "aggregation";
      detail["window"] = output.aggregation->window.ToString();
      detail["group_by"] = output.aggregation->group_by;
    }
    const std::string id = node("output:" + output.name, kind, label, detail);
    edges.push_back({{"from", before_outputs}, {"to", id}});
  }
  if (plan.dead_letter) {
    node("dead_letter", "dead_letter", "dead letter", {{"path", plan.dead_letter->spec.path}});
    edges.push_back({{"from", validated}, {"to", "dead_letter"}, {"rejected", true}});
  }
  if (plan.late) {
    node("late", "late", "late", {{"path", plan.late->spec.path}});
    for (const OutputPlan& output : plan.outputs) {
      if (output.aggregation)
        edges.push_back({{"from", "output:" + output.name}, {"to", "late"}, {"rejected", true}});
    }
  }
  json graph{{"pipeline", plan.spec.name.empty() ? plan.spec.file : plan.spec.name},
             {"nodes", nodes},
             {"edges", edges}};
  if (plan.spec.checkpoint) graph["checkpoint"] = plan.spec.checkpoint->path;
  return graph;
}

}  // namespace sluice
