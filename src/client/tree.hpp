#pragma once
// Many objects at once (put DIR --recursive, get PREFIX --recursive DIR):
// at most `inflight` transfers run, and the queue of transfers waiting to run
// is bounded too. The producer (a lazy directory walk, or listing pages) only
// makes more work while the queue has room, so a tree of a million files
// never becomes a million handles. After the first failure (or SIGINT) no new
// transfer starts; the running ones finish and first_error() is reported.

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/bounded_queue.hpp"
#include "client/op.hpp"

namespace haul::client {

using OnFinished = std::function<void(const TransferStats&, const std::optional<Error>&)>;

class OpGroup : public Driver {
 public:
  OpGroup(unsigned inflight, OnFinished on_finished);
  std::unique_ptr<Request> next() override;
  void done(std::unique_ptr<Request> r) override;  // the producer's own requests
  bool finished() const override;
  void interrupt() override;
  const std::optional<Error>& first_error() const { return first_error_; }
  size_t succeeded() const { return succeeded_; }
  size_t failed() const { return failed_; }

 protected:
  // Adds ops to queue_ while it has room (and may return a request of the
  // producer's own, e.g. a listing page).
  virtual std::unique_ptr<Request> produce() = 0;
  virtual bool exhausted() const = 0;
  virtual void on_own_done(std::unique_ptr<Request>) {}
  void record_failure(const Error& e);

  BoundedQueue<std::unique_ptr<Op>> queue_;
  bool stopping_ = false;

 private:
  void reap();

  unsigned inflight_;
  OnFinished on_finished_;
  std::vector<std::unique_ptr<Op>> active_;
  size_t round_robin_ = 0;
  std::optional<Error> first_error_;
  size_t succeeded_ = 0, failed_ = 0;
};

class PutTree final : public OpGroup {
 public:
  PutTree(RequestPool& pool, const std::string& dir, std::string prefix, unsigned inflight, OnFinished on_finished);

 private:
  std::unique_ptr<Request> produce() override;
  bool exhausted() const override { return walk_done_ || stopping_; }

  RequestPool& pool_;
  std::filesystem::path root_;
  std::string prefix_;
  std::filesystem::recursive_directory_iterator walk_;
  bool walk_done_ = false;
};

class GetTree final : public OpGroup {
 public:
  GetTree(RequestPool& pool, std::string prefix, const std::string& dir, unsigned inflight, OnFinished on_finished);

 private:
  std::unique_ptr<Request> produce() override;
  bool exhausted() const override;
  void on_own_done(std::unique_ptr<Request> r) override;
  struct Listed {
    std::string key;
    std::optional<uint64_t> size;
  };
  std::unique_ptr<Op> make_get(const Listed& object);
  void make_marker_directory(const std::string& key);

  RequestPool& pool_;
  std::string prefix_;
  std::filesystem::path root_;
  std::deque<Listed> keys_;           // one listing page at most
  std::optional<std::string> after_;  // next page cursor
  bool listing_done_ = false, list_in_flight_ = false;
  size_t page_limit_;  // keys asked for with the next listing page (tree.cpp)
  RetryQueue list_retries_;
  RetryPolicy policy_;
};

// Local path for `key` under `root` after removing `prefix`; throws
// Error(bad_request) when the rest would escape root ("..", ".", empty or
// absolute segments). Sans-IO.
std::filesystem::path local_path_for(const std::filesystem::path& root, const std::string& prefix,
                                     const std::string& key);
// Object key for `relative` (a path inside the walked directory) under prefix:
// prefix joined with '/' unless it is empty or ends with '/'.
std::string key_for(const std::string& prefix, const std::filesystem::path& relative);

}  // namespace haul::client
