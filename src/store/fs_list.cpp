#include "store/fs_list.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/error.hpp"
#include "store/fs_io.hpp"
#include "store/fs_layout.hpp"
#include "store/fs_object.hpp"

namespace haul::store::fs {

namespace {

struct Child {
  std::string key_text;  // full key for a file, key prefix ending in '/' for a directory
  std::string name;      // name on disk
  bool is_dir = false;
};

// The decoded entries of one directory, sorted by key text; empty when the
// directory vanished.
std::vector<Child> read_children(const std::string& path, const std::string& key_prefix) {
  std::vector<Child> children;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return children;
    throw_errno(errno, "list", path);
  }
  while (true) {
    errno = 0;
    dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      int err = errno;
      ::closedir(dir);
      if (err != 0) throw_errno(err, "list", path);
      break;
    }
    auto decoded = decode_entry_name(entry->d_name);
    if (!decoded) continue;  // ".", "..", foreign files
    std::string key_text = key_prefix + decoded->segment;
    if (decoded->is_dir) key_text.push_back('/');
    children.push_back(Child{std::move(key_text), entry->d_name, decoded->is_dir});
  }
  // std::string compares as unsigned bytes (char_traits<char>::compare).
  std::sort(children.begin(), children.end(), [](const Child& a, const Child& b) { return a.key_text < b.key_text; });
  return children;
}

class Walker {
 public:
  Walker(std::string_view prefix, std::string_view start_after, size_t want)
      : prefix_(prefix), start_after_(start_after), want_(want) {}

  // Returns false once `want` entries are collected.
  bool walk(const std::string& path, const std::string& key_prefix) {
    for (Child& child : read_children(path, key_prefix)) {
      const std::string& text = child.key_text;
      std::string child_path = path + "/" + child.name;
      if (child.is_dir) {
        // Every key below starts with `text`.
        bool prefix_ok = text.starts_with(prefix_) || prefix_.starts_with(text);
        bool after_ok = text > start_after_ || start_after_.starts_with(text);
        if (prefix_ok && after_ok && !walk(child_path, text)) return false;
        continue;
      }
      if (!text.starts_with(prefix_) || text <= start_after_) continue;
      auto object = open_object(child_path, true);
      if (!object) continue;  // removed since readdir
      entries_.push_back(
          ListEntry{text, object->head.body_size, object->head.mtime_unix, std::move(object->head.header)});
      if (entries_.size() >= want_) return false;
    }
    return true;
  }

  std::vector<ListEntry>& entries() { return entries_; }

 private:
  std::string_view prefix_;
  std::string_view start_after_;
  size_t want_;
  std::vector<ListEntry> entries_;
};

}  // namespace

ListPage list_objects(const std::string& objects_root, std::string_view prefix, std::string_view start_after,
                      size_t limit) {
  if (limit == 0) throw Error(ErrorKind::bad_request, "list limit must be at least 1");
  // One entry more than asked tells whether another page exists.
  Walker walker(prefix, start_after, limit == SIZE_MAX ? limit : limit + 1);
  walker.walk(objects_root, "");
  ListPage page;
  page.entries = std::move(walker.entries());
  if (page.entries.size() > limit) {
    page.entries.resize(limit);
    page.next_after = page.entries.back().key;
  }
  return page;
}

}  // namespace haul::store::fs
