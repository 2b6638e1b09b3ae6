#include "format/json_decoder.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string Utf8(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie()->ToString();
}

class JsonDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = DeclaredSchema::Make({
                                       {"id", ColumnType::kString, true},
                                       {"t", ColumnType::kTimestamp, true},
                                       {"v", ColumnType::kDouble},
                                       {"n", ColumnType::kInt32},
                                       {"big", ColumnType::kInt64},
                                       {"ok", ColumnType::kBool},
                                       {"meta", ColumnType::kJson},
                                   })
                  .ValueOrDie();
    decoder_ = JsonDecoder::Make(schema_).ValueOrDie();
  }

  DecodedBatch Decode(const std::vector<std::string>& lines) {
    RawBatch raw;
    int32_t source = raw.AddSource("test.ndjson");
    int64_t line = 0;
    for (const auto& l : lines) raw.Append(l, RecordPosition{source, 0, KafkaOffset(++line), PartitionId(0)});
    DecodedBatch out;
    EXPECT_TRUE(decoder_->Decode(raw, &out).ok());
    return out;
  }

  std::string RejectReason(const std::string& line) {
    auto out = Decode({line});
    EXPECT_EQ(out.batch->num_rows(), 0) << line;
    if (out.rejected.size() != 1) return "<accepted>";
    EXPECT_EQ(out.rejected[0].stage, Stage::kDecode);
    return out.rejected[0].reason;
  }

  DeclaredSchema schema_;
  std::unique_ptr<JsonDecoder> decoder_;
};

TEST_F(JsonDecoderTest, DecodesEveryType) {
  auto out = Decode({R"({"id":"a","t":"2025-07-28T14:17:34Z","v":1.5,"n":7,"big":9007199254740993,)"
                     R"("ok":true,"meta":{"fw":"1.2","tags":[1,2]},"extra":[1,{"x":2}]})"});
  ASSERT_EQ(out.rejected.size(), 0u) << out.rejected[0].reason;
  ASSERT_EQ(out.batch->num_rows(), 1);
  ASSERT_TRUE(out.batch->ValidateFull().ok());
  EXPECT_EQ(out.batch->column(0)->ToString(), Utf8(arrow::utf8(), R"(["a"])"));
  EXPECT_EQ(std::static_pointer_cast<arrow::TimestampArray>(out.batch->column(1))->Value(0),
            1753712254LL * 1000000);
  EXPECT_EQ(std::static_pointer_cast<arrow::DoubleArray>(out.batch->column(2))->Value(0), 1.5);
  EXPECT_EQ(std::static_pointer_cast<arrow::Int32Array>(out.batch->column(3))->Value(0), 7);
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(out.batch->column(4))->Value(0), 9007199254740993LL);
  EXPECT_TRUE(std::static_pointer_cast<arrow::BooleanArray>(out.batch->column(5))->Value(0));
  EXPECT_EQ(std::static_pointer_cast<arrow::StringArray>(out.batch->column(6))->GetView(0),
            R"({"fw":"1.2","tags":[1,2]})");
  EXPECT_EQ(out.record_index, std::vector<int32_t>{0});
}

TEST_F(JsonDecoderTest, MissingAndNullOptionalFieldsAreNull) {
  auto out = Decode({R"({"t":"2025-01-01T00:00:00Z","id":"x","v":null})"});
  ASSERT_EQ(out.batch->num_rows(), 1);
  for (int c = 2; c < out.batch->num_columns(); ++c) EXPECT_TRUE(out.batch->column(c)->IsNull(0)) << c;
}

TEST_F(JsonDecoderTest, KeysInAnyOrderEscapedAndDuplicated) {
  auto out = Decode({R"({"v":2,"t":0,"i\u0064":"esc","v":3})", R"({"id":"b","t":1})"});
  ASSERT_EQ(out.batch->num_rows(), 2);
  EXPECT_EQ(std::static_pointer_cast<arrow::StringArray>(out.batch->column(0))->GetView(0), "esc");
  EXPECT_EQ(std::static_pointer_cast<arrow::DoubleArray>(out.batch->column(2))->Value(0), 3.0);
}

TEST_F(JsonDecoderTest, TimestampForms) {
  auto out = Decode({
      R"({"id":"a","t":"2025-07-28T16:17:34.250+02:00"})",
      R"({"id":"a","t":1753712254})",
      R"({"id":"a","t":1753712254250})",
      R"({"id":"a","t":1753712254.25})",
      R"({"id":"a","t":1753712254250000})",
  });
  ASSERT_EQ(out.rejected.size(), 0u);
  auto t = std::static_pointer_cast<arrow::TimestampArray>(out.batch->column(1));
  EXPECT_EQ(t->Value(0), 1753712254250000);
  EXPECT_EQ(t->Value(1), 1753712254000000);
  EXPECT_EQ(t->Value(2), 1753712254250000);
  EXPECT_EQ(t->Value(3), 1753712254250000);
  EXPECT_EQ(t->Value(4), 1753712254250000);
}

TEST_F(JsonDecoderTest, IntegersAcceptIntegralDecimalsOnly) {
  auto out = Decode({R"({"id":"a","t":0,"n":3.0})"});
  ASSERT_EQ(out.batch->num_rows(), 1);
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0,"n":3.5})"), "field 'n': expected an integer, got '3.5'");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0,"n":3000000000})"),
            "field 'n': 3000000000 is out of range for int32");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0,"big":18446744073709551615})"),
            "field 'big': integer out of range for int64");
}

TEST_F(JsonDecoderTest, RejectsWithReasons) {
  EXPECT_EQ(RejectReason(R"({"t":0})"), "missing required field 'id'");
  EXPECT_EQ(RejectReason(R"({"id":null,"t":0})"), "required field 'id' is null");
  EXPECT_EQ(RejectReason(R"({"id":5,"t":0})"), "field 'id': expected a string, got a number");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0,"v":"1.5"})"), "field 'v': expected a number, got a string");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0,"ok":1})"), "field 'ok': expected true or false, got a number");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":"yesterday"})"),
            "field 't': 'yesterday' is not an ISO-8601 timestamp (e.g. 2025-07-28T14:17:34Z)");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":true})"),
            "field 't': expected an ISO-8601 string or epoch number, got a boolean");
  EXPECT_EQ(RejectReason(R"([1,2])"), "expected a JSON object, got an array");
  EXPECT_EQ(RejectReason(""), "empty record (no JSON value)");
  EXPECT_EQ(RejectReason("   "), "empty record (no JSON value)");
  EXPECT_EQ(RejectReason("\xff\xfe{}"), "not valid UTF-8");
  EXPECT_EQ(RejectReason(R"({"id":"a","t":0} {"id":"b"})"),
            "not valid JSON: unexpected content after the object");
}

TEST_F(JsonDecoderTest, MalformedJsonNeverCrashes) {
  const std::vector<std::string> bad = {
      "{",
      R"({"id":"a")",
      R"({"id":"a","t":)",
      R"({"id":"a" "t":0})",
      R"({"id":"a,"t":0})",
      R"({"id":"a","t":0,})",
      R"({"id":"a","t":0,"v":tru})",
      R"({"id":"a","t":0,"v":nul})",
      R"({"id":"a","t":0,"meta":{"x":})",
      R"({id:"a"})",
      "null",
      "42",
      "\"just a string\"",
      std::string("{\"id\":\"a\0b\",\"t\":0}", 18),
  };
  for (const auto& line : bad) {
    auto reason = RejectReason(line);
    EXPECT_NE(reason, "<accepted>") << line;
    EXPECT_FALSE(reason.empty()) << line;
  }
}

TEST_F(JsonDecoderTest, GoodAndBadInterleavedKeepOrderAndIndexes) {
  auto out = Decode({R"({"id":"a","t":0})", "garbage", R"({"id":"b","t":0})", "{", R"({"id":"c","t":0})"});
  ASSERT_EQ(out.batch->num_rows(), 3);
  EXPECT_EQ(out.record_index, (std::vector<int32_t>{0, 2, 4}));
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].record, 1);
  EXPECT_EQ(out.rejected[1].record, 3);
  EXPECT_EQ(out.batch->column(0)->ToString(), Utf8(arrow::utf8(), R"(["a","b","c"])"));
}

TEST_F(JsonDecoderTest, LargeRecord) {
  std::string big = R"({"id":"a","t":0,"meta":")" + std::string(10 << 20, 'x') + R"("})";
  auto out = Decode({big});
  ASSERT_EQ(out.batch->num_rows(), 1);
  EXPECT_EQ(std::static_pointer_cast<arrow::StringArray>(out.batch->column(6))->GetView(0).size(),
            (10u << 20) + 2);
}

}  // namespace
}  // namespace sluice
