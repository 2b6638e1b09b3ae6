#include "io/s3_config.h"

#include <fmt/format.h>

#include "common/time_util.h"

namespace sluice {
namespace {

// The first of `names` set to a non-empty value in `env`; its name goes to `*origin`.
std::string FirstSet(const Environment& env, std::initializer_list<const char*> names, std::string* origin) {
  for (const char* name : names) {
    auto value = env.Lookup(name);
    if (value && !value->empty()) {
      if (origin) *origin = name;
      return *value;
    }
  }
  return "";
}

bool ValidBucketName(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(name.front()) && alnum(name.back()) && name.find("..") == std::string::npos;
}

}  // namespace

S3Config S3ConfigFromEnvironment(const Environment& env) {
  S3Config config;
  config.endpoint =
      FirstSet(env, {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"}, &config.endpoint_origin);
  config.region = FirstSet(env, {"AWS_REGION", "AWS_DEFAULT_REGION"}, nullptr);
  config.access_key_id = FirstSet(env, {"AWS_ACCESS_KEY_ID"}, &config.credentials_origin);
  config.secret_access_key = FirstSet(env, {"AWS_SECRET_ACCESS_KEY"}, nullptr);
  config.session_token = FirstSet(env, {"AWS_SESSION_TOKEN"}, nullptr);
  return config;
}

std::string S3Config::Describe() const {
  std::string out = endpoint.empty() ? std::string("AWS") : "endpoint " + endpoint;
  out += PathStyle() ? " (path-style)" : " (virtual-hosted)";
  out +=
      ", region " + (region.empty() ? std::string(endpoint.empty() ? "of the bucket" : "us-east-1") : region);
  if (access_key_id.empty()) {
    out += ", credentials from the AWS credential chain";
  } else {
    out += ", keys from " + (credentials_origin.empty() ? std::string("the pipeline") : credentials_origin);
  }
  return out + fmt::format("; {} uploads at once, {} MiB buffer, retries for {}", max_uploads,
                           upload_buffer >> 20, FormatDuration(retry_timeout));
}

arrow::Result<S3Endpoint> ParseS3Endpoint(const std::string& endpoint, const std::string& origin) {
  const size_t scheme_end = endpoint.find("://");
  S3Endpoint parsed;
  parsed.scheme = scheme_end == std::string::npos ? "" : endpoint.substr(0, scheme_end);
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return arrow::Status::Invalid(
        origin, ": the S3 endpoint '", endpoint,
        "' needs http:// or https://, e.g. http://127.0.0.1:9000 for a local MinIO");
  }
  parsed.host = endpoint.substr(scheme_end + 3);
  while (!parsed.host.empty() && parsed.host.back() == '/') parsed.host.pop_back();
  if (parsed.host.empty() || parsed.host.find('/') != std::string::npos) {
    return arrow::Status::Invalid(origin, ": the S3 endpoint '", endpoint,
                                  "' must be scheme://host[:port] without a path; put the bucket and "
                                  "prefix in the output URI (s3://bucket/prefix)");
  }
  return parsed;
}

std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

arrow::Status ValidateS3Config(const S3Config& config) {
  if (!config.endpoint.empty()) {
    const std::string origin =
        config.endpoint_origin.empty() ? "storage.s3.endpoint" : config.endpoint_origin;
    ARROW_RETURN_NOT_OK(ParseS3Endpoint(config.endpoint, origin).status());
  }
  const std::string keys = config.credentials_origin.empty() ? "storage.s3" : config.credentials_origin;
  if (config.access_key_id.empty() != config.secret_access_key.empty()) {
    return arrow::Status::Invalid(
        keys, ": an S3 access key id needs its secret access key and the other way round ",
        config.access_key_id.empty() ? "(AWS_ACCESS_KEY_ID / access_key_id is missing)"
                                     : "(AWS_SECRET_ACCESS_KEY / secret_access_key is missing)");
  }
  if (config.max_uploads < 1) return arrow::Status::Invalid("storage.s3.max_uploads must be at least 1");
  if (config.upload_buffer < kS3PartSize) {
    return arrow::Status::Invalid("storage.s3.upload_buffer must hold at least one part (10MB), got ",
                                  config.upload_buffer, " bytes");
  }
  if (config.retry_timeout.count() < 0) return arrow::Status::Invalid("storage.s3.retry_timeout is negative");
  return arrow::Status::OK();
}

arrow::Result<S3Location> ParseS3Uri(const std::string& uri) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.rfind(kScheme, 0) != 0) return arrow::Status::Invalid("'", uri, "' is not an s3:// URI");
  std::string rest = uri.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Location location;
  location.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) location.prefix = rest.substr(slash + 1);
  while (!location.prefix.empty() && location.prefix.back() == '/') location.prefix.pop_back();
  while (!location.prefix.empty() && location.prefix.front() == '/') location.prefix.erase(0, 1);
  if (!ValidBucketName(location.bucket)) {
    return arrow::Status::Invalid("'", uri, "': '", location.bucket,
                                  "' is not a valid bucket name (3 to 63 lowercase letters, digits, "
                                  "'.' or '-'); write s3://bucket/prefix");
  }
  if (location.prefix.find("//") != std::string::npos) {
    return arrow::Status::Invalid("'", uri, "': empty path segment ('//') in the prefix");
  }
  return location;
}

}  // namespace sluice
