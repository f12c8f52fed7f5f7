#include "tls/record_engine.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "core/error.hpp"

namespace haul::tls {

namespace {

// The BIO OpenSSL reads records from and writes records to: the engine's
// two queues. A read of an empty queue asks to be retried (WANT_READ); a
// write always takes everything, so SSL_write never stops halfway.
RecordEngine* engine_of(BIO* bio) {
  return static_cast<RecordEngine*>(BIO_get_data(bio));
}

int bio_write(BIO* bio, const char* data, size_t size, size_t* written) {
  BIO_clear_retry_flags(bio);
  try {
    engine_of(bio)->push_output(reinterpret_cast<const uint8_t*>(data), size);
  } catch (const std::bad_alloc&) {
    return 0;  // OpenSSL reports the write failure; no exception crosses its C frames
  }
  *written = size;
  return 1;
}

int bio_read(BIO* bio, char* data, size_t size, size_t* read) {
  BIO_clear_retry_flags(bio);
  *read = engine_of(bio)->pull_input(reinterpret_cast<uint8_t*>(data), size);
  if (*read == 0) {
    BIO_set_retry_read(bio);
    return 0;
  }
  return 1;
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* make_method() {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "haul record queues");
  if (!method || BIO_meth_set_write_ex(method, bio_write) != 1 || BIO_meth_set_read_ex(method, bio_read) != 1 ||
      BIO_meth_set_ctrl(method, bio_ctrl) != 1 || BIO_meth_set_create(method, bio_create) != 1) {
    throw Error(ErrorKind::internal, "TLS: cannot create the record BIO method");
  }
  return method;
}

const BIO_METHOD* queue_method() {
  static BIO_METHOD* const method = make_method();  // one for the process, never freed
  return method;
}

}  // namespace

RecordEngine::RecordEngine(SSL_CTX* ctx, Role role) {
  ssl_ = SSL_new(ctx);
  BIO* bio = ssl_ ? BIO_new(queue_method()) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    ERR_clear_error();
    throw Error(ErrorKind::internal, "TLS: cannot create a connection's SSL");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: the SSL owns its one reference
  if (role == Role::server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

RecordEngine::~RecordEngine() {
  SSL_free(ssl_);
}

RecordEngine::Result RecordEngine::outcome(int rc, size_t bytes) {
  if (rc > 0) return {Status::done, bytes, 0};
  Result result{Status::failed, 0, 0};
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ: result.status = Status::want_input; break;
    case SSL_ERROR_ZERO_RETURN: result.status = Status::closed; break;
    default:  // SSL_ERROR_SSL, SSL_ERROR_SYSCALL (no socket here: a broken peer or state)
      result.error = ERR_get_error();
      break;
  }
  ERR_clear_error();
  return result;
}

RecordEngine::Result RecordEngine::handshake() {
  ERR_clear_error();
  return outcome(SSL_do_handshake(ssl_), 0);
}

RecordEngine::Result RecordEngine::read(std::span<uint8_t> into) {
  size_t total = 0;
  while (total < into.size()) {
    ERR_clear_error();
    size_t n = 0;
    const int rc = SSL_read_ex(ssl_, into.data() + total, into.size() - total, &n);
    if (rc == 1) {
      total += n;
      continue;
    }
    if (total > 0) {
      // What stopped the loop (want more input, the peer's close, an error)
      // comes again on the next read; the plaintext goes out first.
      ERR_clear_error();
      break;
    }
    return outcome(rc, 0);
  }
  return {Status::done, total, 0};
}

RecordEngine::Result RecordEngine::write(std::span<const uint8_t> from) {
  if (from.empty()) return {Status::done, 0, 0};
  ERR_clear_error();
  size_t n = 0;
  const int rc = SSL_write_ex(ssl_, from.data(), from.size(), &n);
  return outcome(rc, n);
}

RecordEngine::Result RecordEngine::shutdown() {
  ERR_clear_error();
  const int rc = SSL_shutdown(ssl_);
  // 0: our close_notify is out and the peer's not yet read; nothing to wait
  // for (HTTP frames its messages).
  return outcome(rc < 0 ? rc : 1, 0);
}

std::span<uint8_t> RecordEngine::input_space(size_t size) {
  if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
  if (input_capacity_ - input_end_ < size) {
    const size_t waiting = input_end_ - input_begin_;  // at most a part of one record
    if (input_capacity_ < waiting + size) {
      auto bigger = std::make_unique_for_overwrite<uint8_t[]>(waiting + size);
      if (waiting) std::memcpy(bigger.get(), input_.get() + input_begin_, waiting);
      input_ = std::move(bigger);
      input_capacity_ = waiting + size;
    } else if (waiting) {
      std::memmove(input_.get(), input_.get() + input_begin_, waiting);
    }
    input_begin_ = 0;
    input_end_ = waiting;
  }
  return {input_.get() + input_end_, size};
}

void RecordEngine::input_added(size_t n) {
  input_end_ = std::min(input_end_ + n, input_capacity_);
}

size_t RecordEngine::pull_input(uint8_t* to, size_t size) {
  const size_t n = std::min(size, input_end_ - input_begin_);
  if (n) std::memcpy(to, input_.get() + input_begin_, n);
  input_begin_ += n;
  return n;
}

void RecordEngine::take_output(std::vector<uint8_t>& into) {
  into.clear();
  into.swap(output_);
}

void RecordEngine::release_buffers() {
  if (input_empty()) {
    input_.reset();
    input_capacity_ = input_begin_ = input_end_ = 0;
  }
  if (output_.empty()) output_ = {};
}

}  // namespace haul::tls
