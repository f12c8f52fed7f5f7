#include "gateway/gzip_body.hpp"

#include <zlib.h>

#include "core/error.hpp"

namespace haul::gateway {

std::string gzip_body(std::string_view body) {
  if (body.size() > (1u << 30)) throw Error(ErrorKind::internal, "gzip: body over 1 GiB");  // uInt counts
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::internal, "gzip: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));  // zlib's API is not const
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);  // deflateBound: one call always finishes
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(ErrorKind::internal, "gzip: deflate did not finish");
  out.resize(written);
  return out;
}

}  // namespace haul::gateway
