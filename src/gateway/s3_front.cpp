// The S3 API's way in: SigV4 authentication, bucket permission, dispatch,
// and S3's <Error> answers. Handlers throw s3::ApiError for S3-specific
// failures and haul::Error for the rest (a store failure, a bad range),
// which is answered with the S3 code closest to its kind.

#include <chrono>
#include <cstdio>

#include "core/error.hpp"
#include "http/url.hpp"
#include "gateway/s3_handlers.hpp"
#include "gateway/s3_state.hpp"
#include "s3/api_error.hpp"
#include "s3/server_xml.hpp"

namespace haul::gateway {

namespace {

// S3's answer to a haul::Error of this kind.
s3::ApiError as_api_error(const Error& e, S3Op op) {
  const std::string message(e.public_message());
  switch (e.kind()) {
    case ErrorKind::bad_request: return {400, "InvalidRequest", message};
    case ErrorKind::unauthorized: return {403, "AccessDenied", message};
    case ErrorKind::not_found:
      if (op == S3Op::upload_part || op == S3Op::complete_multipart || op == S3Op::abort_multipart ||
          op == S3Op::list_parts) {
        return {404, "NoSuchUpload", message};
      }
      return {404, "NoSuchKey", message};
    case ErrorKind::method_not_allowed: return {405, "MethodNotAllowed", message};
    case ErrorKind::conflict: return {409, "OperationAborted", message};
    case ErrorKind::length_required: return {411, "MissingContentLength", message};
    case ErrorKind::payload_too_large: return {400, "EntityTooLarge", message};
    case ErrorKind::range_not_satisfiable: return {416, "InvalidRange", message};
    case ErrorKind::too_many_requests: return {503, "SlowDown", message};
    case ErrorKind::headers_too_large: return {400, "RequestHeaderSectionTooLarge", message};
    // Clients retry 503 ServiceUnavailable; S3 has no 502 or 504 of its own.
    case ErrorKind::backend_unavailable:
    case ErrorKind::backend_timeout: return {503, "ServiceUnavailable", message};
    case ErrorKind::not_implemented: return {501, "NotImplemented", message};
    case ErrorKind::integrity:
    case ErrorKind::io:
    case ErrorKind::config:
    case ErrorKind::internal: return {500, "InternalError", message};
  }
  return {500, "InternalError", message};
}

// The haul::Error a request log line records for an S3 failure.
Error as_logged(const s3::ApiError& e) {
  ErrorKind kind = ErrorKind::internal;
  switch (e.status()) {
    case 400: kind = ErrorKind::bad_request; break;
    case 403: kind = ErrorKind::unauthorized; break;
    case 404: kind = ErrorKind::not_found; break;
    case 405: kind = ErrorKind::method_not_allowed; break;
    case 409:
    case 412: kind = ErrorKind::conflict; break;
    case 411: kind = ErrorKind::length_required; break;
    case 416: kind = ErrorKind::range_not_satisfiable; break;
    case 501: kind = ErrorKind::not_implemented; break;
    case 503: kind = ErrorKind::backend_unavailable; break;
    default: break;
  }
  return Error(kind, e.code() + ": " + e.what());
}

s3::IncomingRequest incoming(const Request& r) {
  return {r.method, r.target, r.all_headers ? r.all_headers() : Headers{}};
}

// A CORS preflight (OPTIONS, never signed): haul keeps no CORS
// configuration, so no cross-origin request is allowed. S3 answers 400
// without an Origin header and 403 with one.
s3::ApiError cors_refusal(const Request& r) {
  if (r.header("origin").empty()) {
    return {400, "BadRequest", "Insufficient information. Origin request header needed."};
  }
  return {403, "AccessForbidden", "CORSResponse: This CORS request is not allowed."};
}

bool allowed(const s3::VerifiedRequest& auth, const S3Target& t) {
  return t.bucket.empty() || auth.credential->allows(t.bucket);
}

asio::awaitable<void> dispatch(GatewayContext& ctx, Exchange& ex, const S3Call& call) {
  const S3Target& t = call.target;
  // A missing bucket is told before a client that waits for "100 Continue"
  // sends its body (usually from the bucket book's memory).
  if (!t.bucket.empty() && t.op != S3Op::create_bucket) {
    co_await ex.blocking([&] { ctx.s3->buckets.require(t.bucket); });
  }
  co_await ex.invite_body();
  switch (t.op) {
    case S3Op::list_buckets: co_return co_await s3_list_buckets(ctx, ex, call);
    case S3Op::create_bucket:
    case S3Op::head_bucket:
    case S3Op::delete_bucket:
    case S3Op::get_bucket_location:
    case S3Op::list_objects_v1:
    case S3Op::list_objects_v2:
    case S3Op::list_object_versions: co_return co_await s3_bucket_request(ctx, ex, call);
    case S3Op::delete_objects: co_return co_await s3_delete_objects(ctx, ex, call);
    case S3Op::put_object:
    case S3Op::get_object:
    case S3Op::head_object:
    case S3Op::get_object_attributes:
    case S3Op::delete_object: co_return co_await s3_object_request(ctx, ex, call);
    case S3Op::copy_object: co_return co_await s3_copy_object(ctx, ex, call);
    case S3Op::create_multipart:
    case S3Op::upload_part:
    case S3Op::upload_part_copy:
    case S3Op::complete_multipart:
    case S3Op::abort_multipart:
    case S3Op::list_parts:
    case S3Op::list_multipart_uploads: co_return co_await s3_multipart_request(ctx, ex, call);
    case S3Op::unsupported:
      throw s3::ApiError(501, "NotImplemented", "the ?" + t.detail + " sub-resource is not offered");
    case S3Op::method_not_allowed:
      throw s3::ApiError(405, "MethodNotAllowed", "method " + ex.request().method + " not allowed here");
  }
}

// One log line per failed request: the Error behind it with its private
// detail (a path, a backend host: the log's, never the client's), else the
// S3 answer.
void log_failure(GatewayContext& ctx, uint64_t connection, const Request& request, const std::exception_ptr& original,
                 const s3::ApiError& answer) {
  auto log = [&](const Error& e) {
    ctx.request_log.failure(connection, request.peer.address, request.method, request.target, e);
  };
  if (original) {
    try {
      std::rethrow_exception(original);
    } catch (const Error& e) {
      return log(e);
    } catch (const std::exception& e) {
      return log(Error(ErrorKind::internal, "internal error", e.what()));
    }
  }
  log(as_logged(answer));
}

std::string request_id_text(uint64_t id) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llX", static_cast<unsigned long long>(id));
  return text;
}

}  // namespace

Headers S3Call::headers(Headers more) const {
  more.emplace_back("x-amz-request-id", request_id);
  return more;
}

asio::awaitable<void> respond_xml(Exchange& ex, const S3Call& call, int status, std::string xml) {
  co_await ex.respond(status, "application/xml", std::move(xml), call.headers());
}

asio::awaitable<Served> serve_s3(GatewayContext& ctx, Exchange& ex, uint64_t connection) {
  Served served;
  S3Call call;
  call.request_id = request_id_text(ctx.s3->next_request_id());
  const Request& request = ex.request();
  std::optional<s3::ApiError> failure;
  std::exception_ptr original;  // a haul::Error or other exception behind `failure`, for the log
  try {
    call.target = parse_s3_target(request.method, request.target, request.header("host"), ctx.config.s3_domain,
                                  !request.header("x-amz-copy-source").empty());
    const auto credentials = ctx.s3->credentials();
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // A reload may replace the table meanwhile: the call keeps the one its
    // credential points into.
    call.credentials = credentials;
    if (request.method == "OPTIONS") throw cors_refusal(request);
    std::exception_ptr refused;
    try {
      call.auth = s3::verify_sigv4(incoming(request), *credentials, now);
    } catch (const s3::ApiError&) {
      refused = std::current_exception();
    }
    if (refused) {
      // An unsigned request for a bucket that does not exist is told so
      // (404 NoSuchBucket), as S3 answers it, before being refused.
      if (!call.target.bucket.empty() && s3::auth_kind(incoming(request)) == s3::AuthKind::anonymous) {
        co_await ex.blocking([&] { ctx.s3->buckets.require(call.target.bucket); });
      }
      std::rethrow_exception(refused);
    }
    if (!allowed(call.auth, call.target)) {
      throw s3::ApiError(403, "AccessDenied", "this access key may not use bucket '" + call.target.bucket + "'");
    }
    co_await dispatch(ctx, ex, call);
  } catch (const s3::ApiError& e) {
    failure = e;
  } catch (const Error& e) {
    failure = as_api_error(e, call.target.op);
    original = std::current_exception();
  } catch (const ConnectionLost&) {
    served.lost = true;
  } catch (const std::exception& e) {
    failure = s3::ApiError(500, "InternalError", "internal error");
    original = std::current_exception();
  }
  if (!failure) co_return served;
  served.failure_status = failure->status();
  log_failure(ctx, connection, request, original, *failure);
  if (ex.response_started()) {
    ex.cut();
    ctx.metrics.count_cut(CutReason::failed);
    served.lost = true;
    co_return served;
  }
  // A HEAD answer has no body: the code goes in a header too.
  Headers headers = call.headers({{"x-amz-error-code", failure->code()}});
  // No versioning, so a missing object is never a delete marker; RGW says
  // so on HEAD and GET (s3-tests' delete_marker_nonversioned checks it).
  if (failure->code() == "NoSuchKey" && (call.target.op == S3Op::head_object || call.target.op == S3Op::get_object)) {
    headers.emplace_back("x-amz-delete-marker", "false");
  }
  const std::string resource(http::split_target(request.target).path);
  try {
    co_await ex.respond(failure->status(), "application/xml",
                        s3::error_document(failure->code(), failure->what(), resource, call.request_id),
                        std::move(headers));
  } catch (const ConnectionLost&) {
    served.lost = true;
  }
  co_return served;
}

}  // namespace haul::gateway
