#pragma once
// An S3 API failure as S3 clients expect it: an HTTP status, an S3 error code
// ("NoSuchKey", "SignatureDoesNotMatch", ...) and a message. Thrown by the
// sans-IO S3 server pieces (signature verification, aws-chunked decoding,
// request-body parsing, listing) and by the gateway's S3 handlers; the
// gateway answers it with an <Error> document (s3/server_xml.hpp).

#include <stdexcept>
#include <string>

namespace haul::s3 {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

}  // namespace haul::s3
