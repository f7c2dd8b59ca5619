// Who holds a connection for a while (a row stream, a pipeline, a COPY), so that nothing else runs on
// it meanwhile, and who is named in the error a statement gets then.
#pragma once

#include <pgkit/connection.hpp>

#include <string>
#include <utility>

namespace pgkit::detail {

enum class Owner : unsigned char { none, row_stream, pipeline, execute_many, copy_in, copy_out };

// "a Pipeline owns this connection; finish or destroy it first" and the like.
std::string owned_message(Owner owner);

// The connection held by `owner` for the token's life. Refuses (Impl::check_usable) a connection that
// is closed, lost, or held already.
class OwnerToken {
 public:
  OwnerToken(Connection::Impl& impl, Owner owner);
  OwnerToken(OwnerToken&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  OwnerToken& operator=(OwnerToken&&) = delete;
  OwnerToken(const OwnerToken&) = delete;
  OwnerToken& operator=(const OwnerToken&) = delete;
  ~OwnerToken() { release(); }
  // Gives the connection back early; nothing if it was given back already.
  void release() noexcept;
  [[nodiscard]] bool held() const noexcept { return impl_ != nullptr; }

 private:
  Connection::Impl* impl_;
};

}  // namespace pgkit::detail
