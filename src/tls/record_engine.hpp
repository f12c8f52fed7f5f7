#pragma once
// TLS records without sockets: one OpenSSL SSL over two byte queues, the
// bytes read from the peer (input) and the records to send (output).
//
// Why not Asio's ssl::stream: its engine couples OpenSSL to the socket
// through a 17 KiB BIO pair and a 17 KiB output buffer (fixed in Boost's
// headers), so a 256 KiB response body left as 16 records, each copied once
// more and written with its own sendmsg, and a request body arrived one
// record per wake-up. Here a write turns a whole piece into records in one
// buffer that goes out in one write, and a read decrypts every record the
// input holds (docs/tls.md, "Records in large pieces").
//
// The caller moves bytes between the queues and the socket; nothing here
// blocks or knows a socket, so a client and a server engine can be wired
// back to back in tests. One thread at a time (the connection's strand).

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace haul::tls {

class RecordEngine {
 public:
  enum class Role { server, client };
  enum class Status {
    done,        // the step finished (bytes: plaintext read or taken)
    want_input,  // it needs more bytes from the peer (after sending any output)
    closed,      // the peer's close_notify: no more plaintext will come
    failed,      // a TLS error; `error` holds OpenSSL's first error code (0: none queued)
  };
  struct Result {
    Status status = Status::done;
    size_t bytes = 0;
    unsigned long error = 0;
  };

  // A new SSL on `ctx` (which must outlive the engine, as OpenSSL requires).
  RecordEngine(SSL_CTX* ctx, Role role);
  ~RecordEngine();
  RecordEngine(const RecordEngine&) = delete;
  RecordEngine& operator=(const RecordEngine&) = delete;

  SSL* ssl() const { return ssl_; }

  Result handshake();
  // Plaintext into `into`: every whole record the input holds, up to its
  // size. done with bytes > 0, or want_input / closed / failed.
  Result read(std::span<uint8_t> into);
  // All of `from` as records appended to the output (at most 16 KiB of
  // plaintext each). done with bytes == from.size(), or failed.
  Result write(std::span<const uint8_t> from);
  // Our close_notify into the output; done once it is there.
  Result shutdown();

  // Input: space at the end of the queue for up to `size` bytes read from
  // the peer, then how many arrived.
  std::span<uint8_t> input_space(size_t size);
  void input_added(size_t n);
  bool input_empty() const { return input_begin_ == input_end_; }

  // Output: whether records wait, and the records handed over. `into` is
  // cleared and swapped with the queue, so the caller may send from it while
  // the engine appends to the other buffer (a read may add an alert
  // while a write is on the wire).
  bool has_output() const { return !output_.empty(); }
  void take_output(std::vector<uint8_t>& into);

  // Frees empty queues' storage (an idle connection keeps no 256 KiB of
  // buffers between requests).
  void release_buffers();

  // For the BIO callbacks (record_engine.cpp).
  size_t pull_input(uint8_t* to, size_t size);
  void push_output(const uint8_t* from, size_t size) { output_.insert(output_.end(), from, from + size); }

 private:
  Result outcome(int rc, size_t bytes);

  SSL* ssl_ = nullptr;
  // The input queue: bytes [begin, end) of the buffer wait for OpenSSL. Not
  // a vector: growing one zero-fills the space a socket read then overwrites.
  std::unique_ptr<uint8_t[]> input_;
  size_t input_capacity_ = 0, input_begin_ = 0, input_end_ = 0;
  std::vector<uint8_t> output_;
};

}  // namespace haul::tls
