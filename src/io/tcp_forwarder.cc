#include "io/tcp_forwarder.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// One relayed connection: bytes read from one side and not yet written to the other.
struct Pipe {
  int client = -1;
  int upstream = -1;
  std::string to_upstream;
  std::string to_client;
  bool ended = false;   // one side closed: forward what is buffered, then close
  bool failed = false;  // a write failed: close now
};

// A side is read only while the other side's buffer is small (backpressure).
constexpr size_t kMaxBuffered = 1 << 20;

// Reads what `from` has into `buffer`; false on EOF or error.
bool ReadInto(int from, std::string* buffer) {
  char chunk[65536];
  ssize_t n = ::read(from, chunk, sizeof(chunk));
  if (n > 0) {
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

// Writes as much of `buffer` to `to` as it takes; false on error.
bool WriteFrom(int to, std::string* buffer) {
  while (!buffer->empty()) {
    ssize_t n = ::send(to, buffer->data(), buffer->size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    buffer->erase(0, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

arrow::Result<std::unique_ptr<TcpForwarder>> TcpForwarder::Start(int port, int target_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return arrow::Status::IOError("socket: ", std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = Loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 64) != 0) {
    int error = errno;
    ::close(fd);
    return arrow::Status::IOError("cannot listen on 127.0.0.1:", port, ": ", std::strerror(error),
                                  " (is another broker running? choose another --port)");
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    ::close(fd);
    return arrow::Status::IOError("eventfd: ", std::strerror(errno));
  }
  auto forwarder =
      std::unique_ptr<TcpForwarder>(new TcpForwarder(fd, wake, ntohs(address.sin_port), target_port));
  forwarder->thread_ = std::thread([f = forwarder.get()] { f->Loop(); });
  return forwarder;
}

TcpForwarder::TcpForwarder(int listen_fd, int wake_fd, int port, int target_port)
    : listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port), target_port_(target_port) {}

TcpForwarder::~TcpForwarder() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void TcpForwarder::Loop() {
  std::vector<Pipe> pipes;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Pipe& p : pipes) {
      const bool read_client = !p.ended && p.to_upstream.size() < kMaxBuffered;
      const bool read_upstream = !p.ended && p.to_client.size() < kMaxBuffered;
      fds.push_back({p.client,
                     static_cast<short>((read_client ? POLLIN : 0) | (p.to_client.empty() ? 0 : POLLOUT)),
                     0});
      fds.push_back({p.upstream,
                     static_cast<short>((read_upstream ? POLLIN : 0) | (p.to_upstream.empty() ? 0 : POLLOUT)),
                     0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;
    for (size_t i = 0; i < pipes.size(); ++i) {
      Pipe& p = pipes[i];
      const pollfd& c = fds[2 + 2 * i];
      const pollfd& u = fds[3 + 2 * i];
      if (!p.ended && (c.revents & (POLLIN | POLLHUP | POLLERR)))
        p.ended |= !ReadInto(p.client, &p.to_upstream);
      if (!p.ended && (u.revents & (POLLIN | POLLHUP | POLLERR)))
        p.ended |= !ReadInto(p.upstream, &p.to_client);
      p.failed |= !WriteFrom(p.upstream, &p.to_upstream);
      p.failed |= !WriteFrom(p.client, &p.to_client);
    }
    for (size_t i = 0; i < pipes.size();) {
      const Pipe& p = pipes[i];
      if (p.failed || (p.ended && p.to_client.empty() && p.to_upstream.empty())) {
        ::close(pipes[i].client);
        ::close(pipes[i].upstream);
        pipes[i] = std::move(pipes.back());
        pipes.pop_back();
      } else {
        ++i;
      }
    }
    if (fds[1].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (client < 0) continue;
      // A blocking connect, to the broker on the same host: it answers at once or fails.
      int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in target = Loopback(target_port_);
      if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
        ::close(client);
        if (upstream >= 0) ::close(upstream);
        continue;
      }
      int one = 1;
      ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      pipes.push_back(Pipe{client, upstream, {}, {}, false, false});
    }
  }
  for (Pipe& p : pipes) {
    ::close(p.client);
    ::close(p.upstream);
  }
}

}  // namespace sluice
