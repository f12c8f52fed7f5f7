#include "s3/xml.hpp"

#include <charconv>

#include "core/error.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void bad(const std::string& why) {
  throw Error(ErrorKind::backend_unavailable, "malformed XML from the S3 backend: " + why);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) bad("invalid character reference");
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes "&...;" at doc[pos] (pos at '&'), appends to out, returns the index after ';'.
size_t decode_entity(std::string_view doc, size_t pos, std::string& out) {
  size_t semi = doc.find(';', pos);
  if (semi == std::string_view::npos || semi - pos > 12) bad("unterminated entity");
  std::string_view name = doc.substr(pos + 1, semi - pos - 1);
  if (name == "amp")
    out.push_back('&');
  else if (name == "lt")
    out.push_back('<');
  else if (name == "gt")
    out.push_back('>');
  else if (name == "quot")
    out.push_back('"');
  else if (name == "apos")
    out.push_back('\'');
  else if (name.size() >= 2 && name[0] == '#') {
    int base = 10;
    std::string_view digits = name.substr(1);
    if (digits[0] == 'x' || digits[0] == 'X') {
      base = 16;
      digits = digits.substr(1);
    }
    uint32_t cp = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) bad("bad character reference");
    append_utf8(out, cp);
  } else {
    bad("unknown entity");
  }
  return semi + 1;
}

class Reader {
 public:
  Reader(std::string_view doc, const XmlElementFn& fn) : doc_(doc), fn_(fn) {}

  std::string run() {
    std::string root;
    while (pos_ < doc_.size()) {
      if (doc_[pos_] != '<') {
        read_text();
        continue;
      }
      if (starts("<?"))
        skip_past("?>");
      else if (starts("<!--"))
        skip_past("-->");
      else if (starts("<![CDATA["))
        read_cdata();
      else if (starts("<!"))
        bad("DOCTYPE and declarations are not accepted");
      else if (starts("</"))
        read_end_tag();
      else {
        bool was_empty = path_.empty();
        if (was_empty && !root.empty()) bad("more than one root element");
        read_start_tag();
        if (was_empty && root.empty()) root = root_name_;
      }
    }
    if (!path_.empty()) bad("unclosed element <" + path_.back() + ">");
    if (root.empty()) bad("no root element");
    return root;
  }

 private:
  bool starts(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

  void skip_past(std::string_view end) {
    size_t at = doc_.find(end, pos_);
    if (at == std::string_view::npos) bad("unterminated markup");
    pos_ = at + end.size();
  }

  void read_text() {
    while (pos_ < doc_.size() && doc_[pos_] != '<') {
      char c = doc_[pos_];
      if (path_.empty()) {
        if (!is_space(c)) bad("text outside the root element");
        ++pos_;
      } else if (c == '&') {
        pos_ = decode_entity(doc_, pos_, texts_.back());
      } else {
        texts_.back().push_back(c);
        ++pos_;
      }
    }
  }

  void read_cdata() {
    if (path_.empty()) bad("CDATA outside the root element");
    size_t start = pos_ + 9;
    size_t end = doc_.find("]]>", start);
    if (end == std::string_view::npos) bad("unterminated CDATA");
    texts_.back().append(doc_.substr(start, end - start));
    pos_ = end + 3;
  }

  std::string read_name() {
    size_t start = pos_;
    while (pos_ < doc_.size() && is_name_char(doc_[pos_])) ++pos_;
    if (pos_ == start) bad("expected a name");
    return std::string(doc_.substr(start, pos_ - start));
  }

  void skip_spaces() {
    while (pos_ < doc_.size() && is_space(doc_[pos_])) ++pos_;
  }

  void read_start_tag() {
    ++pos_;  // '<'
    std::string name = read_name();
    // Attributes are skipped (S3 puts only xmlns there), but their syntax is checked.
    for (;;) {
      skip_spaces();
      if (pos_ >= doc_.size()) bad("unterminated start tag");
      if (doc_[pos_] == '>' || starts("/>")) break;
      read_name();
      skip_spaces();
      if (pos_ >= doc_.size() || doc_[pos_] != '=') bad("attribute without value");
      ++pos_;
      skip_spaces();
      if (pos_ >= doc_.size() || (doc_[pos_] != '"' && doc_[pos_] != '\'')) bad("unquoted attribute");
      size_t close = doc_.find(doc_[pos_], pos_ + 1);
      if (close == std::string_view::npos) bad("unterminated attribute");
      pos_ = close + 1;
    }
    if (path_.size() >= xml_max_depth) bad("elements nested too deeply");
    if (path_.empty()) root_name_ = name;
    path_.push_back(std::move(name));
    texts_.emplace_back();
    if (doc_[pos_] == '/') {
      pos_ += 2;
      close_element();
    } else {
      pos_ += 1;
    }
  }

  void read_end_tag() {
    pos_ += 2;
    std::string name = read_name();
    skip_spaces();
    if (pos_ >= doc_.size() || doc_[pos_] != '>') bad("unterminated end tag");
    ++pos_;
    if (path_.empty() || path_.back() != name) bad("mismatched end tag </" + name + ">");
    close_element();
  }

  void close_element() {
    fn_(path_, texts_.back());
    path_.pop_back();
    texts_.pop_back();
  }

  std::string_view doc_;
  const XmlElementFn& fn_;
  size_t pos_ = 0;
  std::vector<std::string> path_;
  std::vector<std::string> texts_;
  std::string root_name_;
};

}  // namespace

std::string parse_xml(std::string_view document, const XmlElementFn& on_element) {
  return Reader(document, on_element).run();
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string_view xml_local_name(std::string_view name) {
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool xml_path_is(const std::vector<std::string>& path, std::initializer_list<std::string_view> names) {
  if (path.size() != names.size()) return false;
  size_t i = 0;
  for (std::string_view n : names) {
    if (xml_local_name(path[i++]) != n) return false;
  }
  return true;
}

}  // namespace haul::s3
