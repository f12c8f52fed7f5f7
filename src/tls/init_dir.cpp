#include "tls/init_dir.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace haul::tls {

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path` with `mode` through a temporary file in the same
// directory, synced before the rename.
void write_file(const std::string& path, const std::string& text, mode_t mode) {
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Error(ErrorKind::io, "cannot write " + temp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error(ErrorKind::io, "cannot write " + temp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error(ErrorKind::io, "cannot write " + path + ": " + std::strerror(err));
  }
}

std::string random_suffix() {
  unsigned char bytes[4];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error(ErrorKind::internal, "no random bytes");
  return to_hex(std::span<const uint8_t>(bytes, sizeof bytes));
}

}  // namespace

InitResult init_dir(const std::string& dir, const InitOptions& options) {
  validate_names(options.names);
  if (options.days < 1 || options.days > 36500) throw Error(ErrorKind::config, "--days must be 1 to 36500");
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw Error(ErrorKind::io, "cannot create " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  InitResult result;
  const fs::path base(dir);
  result.ca_cert = (base / "ca.pem").string();
  result.ca_key = (base / "ca-key.pem").string();
  result.server_cert = (base / "server.pem").string();
  result.server_key = (base / "server-key.pem").string();

  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const bool have_cert = fs::exists(result.ca_cert), have_key = fs::exists(result.ca_key);
  if (have_cert != have_key) {
    throw Error(ErrorKind::config, "found " + (have_cert ? result.ca_cert : result.ca_key) + " without " +
                                       (have_cert ? result.ca_key : result.ca_cert) +
                                       ": restore it, or remove the other to make a new CA");
  }
  PemPair ca;
  if (have_cert) {
    ca = {read_text(result.ca_cert), read_text(result.ca_key)};
    result.ca_kept = true;
  } else {
    ca = make_ca("haul tls-init CA " + random_suffix(), options.ca_days, now);
    write_file(result.ca_key, ca.key_pem, 0600);
    write_file(result.ca_cert, ca.cert_pem, 0644);
  }
  PemPair server = issue_server_certificate(ca, options.names, options.days, now);
  // The key first: a gateway reloading between the two renames then fails
  // its key/certificate check and keeps its running pair.
  write_file(result.server_key, server.key_pem, 0600);
  write_file(result.server_cert, server.cert_pem, 0644);

  BIO* mem = BIO_new_mem_buf(server.cert_pem.data(), static_cast<int>(server.cert_pem.size()));
  X509* cert = mem ? PEM_read_bio_X509(mem, nullptr, nullptr, nullptr) : nullptr;
  result.server = certificate_info(cert);
  X509_free(cert);
  BIO_free(mem);
  result.pin = public_key_pin(server.cert_pem);
  return result;
}

}  // namespace haul::tls
