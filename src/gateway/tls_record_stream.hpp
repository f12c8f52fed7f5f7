#pragma once
// The gateway's TLS stream: tls::RecordEngine (OpenSSL over two byte
// queues) under Asio's stream interface, in place of Asio's ssl::stream.
//
// Why: Asio's stream moves every record on its own (a 17 KiB BIO pair and
// output buffer, fixed in Boost's headers): a 256 KiB download piece left
// as 16 sendmsg calls and one more copy of every byte, and a read woke the
// connection once per 16 KiB record. Here a write turns up to 256 KiB into
// records in one buffer and sends it with one write; a read decrypts every
// whole record the socket gave, into the caller's buffer at once.
//
// The gateway serves with it; `async_handshake(client)` makes it a client
// (tested against Asio's TLS server, not used by haul yet).
//
// The contract is Asio's (what Beast's HTTP code and the HTTP/2 loop use):
// one read and one write may be in flight at once, one of each at most;
// the handshake comes first and the shutdown last, with nothing else in
// flight. Errors are Asio's: an OpenSSL error in asio::error::ssl_category
// (its packed code, as ERR_get_error gives it), asio::error::eof after the
// peer's close_notify, asio::ssl::error::stream_truncated for a TCP close
// without one; the TCP layer's own (timeouts, cancellation) as they are.
//
// Bytes a read produces for the peer (a no_renegotiation alert to a TLS 1.2
// client that asks to renegotiate, an alert before a failure) are sent by
// that read unless a write is on the socket, which then sends them after
// its own (ReadOp). OpenSSL answers a TLS 1.3 KeyUpdate with its next
// write. The server sends its session tickets within the handshake.

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <openssl/ssl.h>

#include "tls/record_engine.hpp"

namespace haul::gateway {

template <class NextLayer>
class TlsRecordStream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;
  using error_code = boost::system::error_code;

  // Plaintext one write takes: up to 16 records for one socket write, down
  // to one record for a slow reader (Core::budget).
  static constexpr size_t kMaxWritePiece = 256 * 1024;
  static constexpr size_t kRecordPiece = 16 * 1024;
  // A write should take about this long at the reader's pace.
  static constexpr std::chrono::milliseconds kWritePace{100};
  // Socket reads: at least one whole record (16 KiB + its overhead), at most
  // this much when the caller's buffer is large.
  static constexpr size_t kMinReadPiece = 17 * 1024;
  static constexpr size_t kMaxReadPiece = 256 * 1024;
  // Pieces smaller than this in one write are gathered into one record.
  static constexpr size_t kGatherBelow = 16 * 1024;

  TlsRecordStream(NextLayer next, boost::asio::ssl::context& context)
      : next_(std::move(next)), core_(std::make_unique<Core>(context.native_handle(), next_.get_executor())) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  NextLayer& next_layer() noexcept { return next_; }
  const NextLayer& next_layer() const noexcept { return next_; }
  SSL* native_handle() noexcept { return core_->engine.ssl(); }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    if (type == boost::asio::ssl::stream_base::client) SSL_set_connect_state(native_handle());
    return boost::asio::async_compose<Token, void(error_code)>(HandshakeOp(this), token, next_);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, size_t)>(ReadOp(this, first_buffer(buffers)), token,
                                                                       next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, size_t)>(WriteOp<ConstBuffers>(this, buffers), token,
                                                                       next_);
  }

  // Our close_notify, sent; the peer's is not waited for.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(ShutdownOp(this), token, next_);
  }

 private:
  // Heap-held so the engine's BIO can point at it while the stream moves.
  struct Core {
    Core(SSL_CTX* ctx, const executor_type& executor)
        : engine(ctx, tls::RecordEngine::Role::server), flushed(executor) {}
    tls::RecordEngine engine;
    std::vector<uint8_t> sending;  // records on the wire (the one socket write in flight)
    std::vector<uint8_t> gather;   // small pieces of one write, joined into one record
    bool writing = false;          // a socket write is in flight (whose: see ReadOp)
    // Plaintext the next write takes. The gateway's send-rate guard counts a
    // client's progress per completed write, so a write must complete at a
    // slow reader's pace as Asio's stream's one-record writes did (a 256 KiB
    // write waits 4 s for a client taking 64 KiB/s, and --send-rate-window
    // may be 1 s): a write whose bytes took longer than kWritePace to leave
    // sets the next one to what the reader took in kWritePace (at least a
    // record); one that left at once doubles it, up to kMaxWritePiece.
    size_t budget = kMaxWritePiece;
    void paced(size_t bytes, std::chrono::steady_clock::duration took) {
      if (took <= kWritePace) {
        budget = std::min(budget * 2, kMaxWritePiece);
        return;
      }
      const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();  // > kWritePace
      budget = std::clamp(bytes * static_cast<size_t>(kWritePace.count()) / static_cast<size_t>(took_ms), kRecordPiece,
                          kMaxWritePiece);
    }
    // Fired when a read's flush ends, for a write that waits for the socket.
    boost::asio::steady_timer flushed;

    void end_write() {
      writing = false;
      flushed.cancel();
    }
  };

  template <class MutableBuffers>
  static boost::asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) return b;
    }
    return {};
  }

  static error_code ssl_error(unsigned long error) {
    if (error == 0) return boost::asio::ssl::error::unspecified_system_error;
    return {static_cast<int>(error), boost::asio::error::get_ssl_category()};
  }

  // The TCP stream ended: after the peer's close_notify an end of stream,
  // before it a truncation (Asio's rule).
  error_code ended(const error_code& ec) {
    if (ec != boost::asio::error::eof) return ec;
    if (SSL_get_shutdown(native_handle()) & SSL_RECEIVED_SHUTDOWN) return ec;
    return boost::asio::ssl::error::stream_truncated;
  }

  // The steps every operation shares: an answer known before any I/O goes
  // through a post (a handler must never run inside its initiating call),
  // sending the engine's output, reading more input.
  // Sized: the operation answers (error_code, size_t), else (error_code).
  template <bool Sized>
  struct OpBase {
    explicit OpBase(TlsRecordStream* stream) : s(stream) {}
    TlsRecordStream* s;
    bool started = false;  // an I/O operation ran: answers may be given directly
    bool posted = false;
    error_code answer_ec;
    size_t answer_n = 0;

    template <class Self>
    static void complete(Self& self, error_code ec, size_t n) {
      if constexpr (Sized) {
        self.complete(ec, n);
      } else {
        self.complete(ec);
      }
    }
    template <class Self>
    bool answer_posted(Self& self) {
      if (!posted) return false;
      complete(self, answer_ec, answer_n);
      return true;
    }
    template <class Self>
    void answer(Self& self, error_code ec, size_t n) {
      if (started) return complete(self, ec, n);
      answer_ec = ec;
      answer_n = n;
      posted = true;
      boost::asio::post(std::move(self));
    }
    template <class Self>
    void send_output(Self& self) {
      started = true;
      s->core_->writing = true;
      s->core_->engine.take_output(s->core_->sending);
      boost::asio::async_write(s->next_, boost::asio::buffer(s->core_->sending), std::move(self));
    }
    template <class Self>
    void read_input(Self& self, size_t wanted) {
      started = true;
      auto space = s->core_->engine.input_space(std::clamp(wanted, kMinReadPiece, kMaxReadPiece));
      s->next_.async_read_some(boost::asio::buffer(space.data(), space.size()), std::move(self));
    }
  };

  // Bytes for the peer that a read produces (a no_renegotiation alert to a
  // TLS 1.2 client asking to renegotiate, an alert before a failure) are
  // sent before the read waits for input or reports the failure, unless a
  // write is on the socket: that write sends them after its own. A write
  // that finds a read's flush on the socket waits for it to end.
  struct ReadOp : OpBase<true> {
    ReadOp(TlsRecordStream* stream, boost::asio::mutable_buffer buffer) : OpBase<true>(stream), into(buffer) {}
    boost::asio::mutable_buffer into;
    enum class Step { start, reading, flushing } step = Step::start;
    tls::RecordEngine::Result held;  // what the engine said before a flush

    template <class Self>
    void operator()(Self& self, error_code ec = {}, size_t n = 0) {
      if (this->answer_posted(self)) return;
      Core& core = *this->s->core_;
      switch (step) {
        case Step::start:
          if (into.size() == 0) return this->answer(self, {}, 0);
          // A one-byte read is the idle wait between requests: nothing big is
          // needed until the next request arrives.
          if (into.size() == 1 && !core.writing) {
            core.engine.release_buffers();
            core.sending = {};
            core.gather = {};
          }
          break;
        case Step::reading:
          if (ec) return self.complete(this->s->ended(ec), size_t{0});
          core.engine.input_added(n);
          break;
        case Step::flushing:
          core.end_write();
          if (ec) return self.complete(ec, size_t{0});
          return act(self, held);
      }
      const auto r = core.engine.read({static_cast<uint8_t*>(into.data()), into.size()});
      const bool waits = r.status == tls::RecordEngine::Status::want_input;
      if ((waits || r.status == tls::RecordEngine::Status::failed) && core.engine.has_output() && !core.writing) {
        held = r;
        step = Step::flushing;
        return this->send_output(self);
      }
      act(self, r);
    }

    template <class Self>
    void act(Self& self, const tls::RecordEngine::Result& r) {
      switch (r.status) {
        case tls::RecordEngine::Status::done: return this->answer(self, {}, r.bytes);
        case tls::RecordEngine::Status::closed: return this->answer(self, boost::asio::error::eof, 0);
        case tls::RecordEngine::Status::failed: return this->answer(self, ssl_error(r.error), 0);
        case tls::RecordEngine::Status::want_input: step = Step::reading; return this->read_input(self, into.size());
      }
    }
  };

  template <class ConstBuffers>
  struct WriteOp : OpBase<true> {
    WriteOp(TlsRecordStream* stream, const ConstBuffers& b) : OpBase<true>(stream), buffers(b) {}
    ConstBuffers buffers;
    size_t taken = 0;
    error_code failure;  // a TLS error, reported once its alert is sent
    enum class Step { start, waiting, sending } step = Step::start;
    std::chrono::steady_clock::time_point send_started;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, size_t = 0) {
      if (this->answer_posted(self)) return;
      Core& core = *this->s->core_;
      switch (step) {
        case Step::start: failure = encrypt(core, core.budget); break;
        case Step::waiting:  // a read's flush ended (the timer's cancel): ec says nothing
          break;
        case Step::sending:
          core.end_write();
          if (ec) return self.complete(ec, size_t{0});
          core.paced(core.sending.size(), std::chrono::steady_clock::now() - send_started);
          break;
      }
      if (!core.engine.has_output()) return this->answer(self, failure, failure ? 0 : taken);
      if (core.writing) {  // a read is flushing: ours go after it
        step = Step::waiting;
        this->started = true;
        core.flushed.expires_at(boost::asio::steady_timer::time_point::max());
        return core.flushed.async_wait(std::move(self));
      }
      step = Step::sending;
      send_started = std::chrono::steady_clock::now();
      this->send_output(self);  // ours, and whatever a read added meanwhile
    }
    // Up to `budget` of the buffers into records; small pieces side by side
    // (an HTTP header and the start of its body) share one record.
    error_code encrypt(Core& core, size_t budget) {
      auto flush_gather = [&]() -> tls::RecordEngine::Result {
        auto r = core.engine.write(core.gather);
        core.gather.clear();
        return r;
      };
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers) && taken < budget; ++it) {
        boost::asio::const_buffer piece(*it);
        if (piece.size() == 0) continue;
        const auto* bytes = static_cast<const uint8_t*>(piece.data());
        if (piece.size() < kGatherBelow) {
          if (core.gather.size() + piece.size() > kGatherBelow) {
            if (auto r = flush_gather(); r.status != tls::RecordEngine::Status::done) return ssl_error(r.error);
          }
          core.gather.insert(core.gather.end(), bytes, bytes + piece.size());
          taken += piece.size();
          continue;
        }
        if (auto r = flush_gather(); r.status != tls::RecordEngine::Status::done) return ssl_error(r.error);
        const size_t take = std::min(piece.size(), budget - taken);
        if (auto r = core.engine.write({bytes, take}); r.status != tls::RecordEngine::Status::done) {
          return ssl_error(r.error);
        }
        taken += take;
      }
      if (auto r = flush_gather(); r.status != tls::RecordEngine::Status::done) return ssl_error(r.error);
      return {};
    }
  };

  struct HandshakeOp : OpBase<false> {
    explicit HandshakeOp(TlsRecordStream* stream) : OpBase<false>(stream) {}
    enum class Step { run, sending, reading } step = Step::run;
    tls::RecordEngine::Result last;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, size_t n = 0) {
      if (this->answer_posted(self)) return;
      Core& core = *this->s->core_;
      switch (step) {
        case Step::sending:
          core.end_write();
          if (ec) return self.complete(ec);
          return next(self);
        case Step::reading:
          if (ec) return self.complete(this->s->ended(ec));
          core.engine.input_added(n);
          [[fallthrough]];
        case Step::run:
          last = core.engine.handshake();
          if (core.engine.has_output()) {  // our flight (or an alert) goes first
            step = Step::sending;
            return this->send_output(self);
          }
          return next(self);
      }
    }

    template <class Self>
    void next(Self& self) {
      switch (last.status) {
        case tls::RecordEngine::Status::done: return this->answer(self, {}, 0);
        case tls::RecordEngine::Status::want_input: step = Step::reading; return this->read_input(self, 0);
        case tls::RecordEngine::Status::closed: return this->answer(self, boost::asio::error::eof, 0);
        case tls::RecordEngine::Status::failed: return this->answer(self, ssl_error(last.error), 0);
      }
    }
  };

  struct ShutdownOp : OpBase<false> {
    explicit ShutdownOp(TlsRecordStream* stream) : OpBase<false>(stream) {}
    error_code failure;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, size_t = 0) {
      if (this->answer_posted(self)) return;
      Core& core = *this->s->core_;
      if (!this->started) {
        const auto r = core.engine.shutdown();
        if (r.status != tls::RecordEngine::Status::done) failure = ssl_error(r.error);
        if (!core.engine.has_output()) return this->answer(self, failure, 0);
        return this->send_output(self);
      }
      core.end_write();
      self.complete(ec ? ec : failure);
    }
  };

  NextLayer next_;
  std::unique_ptr<Core> core_;
};

}  // namespace haul::gateway
