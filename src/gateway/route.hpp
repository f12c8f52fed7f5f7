#pragma once
// Request target -> route (sans-IO). The router knows paths and methods, not
// sockets; handlers get a Route with the decoded key and query.

#include <map>
#include <string>
#include <string_view>

namespace haul::gateway {

enum class RouteKind {
  healthz,
  readyz,
  metrics,
  object,           // /v1/objects/{key}
  object_list,      // /v1/objects?prefix=
  upload_create,    // POST /v1/uploads
  upload_part,      // PUT /v1/uploads/{id}/parts/{n}
  upload_complete,  // POST /v1/uploads/{id}/complete
  upload_abort,     // DELETE /v1/uploads/{id}
  seed_upload,      // POST /upload/files
  seed_download,    // GET /download/files?key=
  probe_download,   // GET /v1/probe/download?bytes=
  probe_upload,     // PUT /v1/probe/upload
  probe_tcpinfo,    // GET /v1/probe/tcpinfo
  s3,               // any other path: the S3 API (s3_target.hpp), when configured
  not_found,
  bad_target,  // undecodable path or query
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  std::string key;        // object key (decoded), for object routes
  std::string upload_id;  // for upload routes
  uint32_t part_number = 0;
  std::map<std::string, std::string> query;
  std::string error;  // why bad_target
};

// target: the request-target ("/v1/objects/a%20b?x=1"). Method checks are the
// handlers' job (405 with Allow).
Route parse_route(std::string_view target);

}  // namespace haul::gateway
