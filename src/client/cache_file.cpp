#include "client/cache_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace haul::client {

std::string cache_file(const std::string& name) {
  auto env = [](const char* var) {
    const char* v = std::getenv(var);
    return v ? std::string(v) : std::string();
  };
  if (auto dir = env("HAUL_CACHE_DIR"); !dir.empty()) return dir + "/" + name;
  if (auto dir = env("XDG_CACHE_HOME"); !dir.empty()) return dir + "/haul/" + name;
  if (auto dir = env("HOME"); !dir.empty()) return dir + "/.cache/haul/" + name;
  return {};
}

std::optional<std::string> read_cache_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_cache_file(const std::string& file, const std::string& text) {
  if (file.empty()) return false;
  const auto dir = std::filesystem::path(file).parent_path();
  if (!dir.empty() && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::error_code ec;  // a missing parent: create the chain (HOME/.cache/haul)
    std::filesystem::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
  }
  const std::string temp = file + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written || ::rename(temp.c_str(), file.c_str()) != 0) {
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace haul::client
