// Batched multicast receive for the agent: one recvmmsg() fills many slots of a buffer the
// JavaScript side owns, and JavaScript is called once per batch with the count.
//
// NOTE: written by hand because Node's dgram has no batch receive (one recvmsg, one new
// ArrayBuffer and one JavaScript callback per datagram), and no npm package does this. At a
// gigabit of 1472-byte datagrams that is ~85,000 buffers a second; their external memory drove
// most of the receiver's garbage collection (measured: 0.8 of 3.8 CPU-s per GiB). Nothing here
// decodes a datagram: bytes in, lengths out; the codecs stay in wire/.
//
// The socket asks for UDP_GRO (Linux >= 5.0): a sender that uses segmentation offload
// (UDP_SEGMENT) sends up to 64 KiB of equal-sized datagrams as one packet, and with UDP_GRO
// the kernel hands that packet over whole, with the datagram size in a control message,
// instead of cutting it into one socket buffer per datagram. A slot then holds many datagrams;
// segment_sizes[i] says how to cut it (0: one datagram).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

// Room for the one control message asked for (UDP_GRO's int).
#define CONTROL_SPACE CMSG_SPACE(sizeof(int))

// Batches read per readable event before the event loop gets a turn (timers, the control
// channel, disk completions must not starve under a full-rate stream).
#define MAX_BATCHES_PER_EVENT 16

typedef struct {
  napi_env env;
  uv_poll_t poll;
  // Once the socket is drained, reading pauses for pause_ms: datagrams gather in the socket's
  // buffer and the next wake-up takes them as one batch. Without it a receiver fed slowly (a
  // shared or busy link) woke, and called JavaScript, for every one or two datagrams.
  uv_timer_t pause;
  uint64_t pause_ms;
  int handles_open;
  // The ring is freed when both let go: the JavaScript handle (its external is finalized) and
  // the libuv handles (closed). JavaScript may call close() or receiveBufferBytes() on a ring
  // whose socket closed long ago; freeing on close alone made that a use-after-free.
  int owners;
  int fd;
  int closed;
  uint32_t slots;
  uint32_t slot_size;
  uint8_t* data;
  uint32_t* lengths;
  uint32_t* segment_sizes;
  int gro;
  struct mmsghdr* msgs;
  struct iovec* iovs;
  uint8_t* control;
  napi_ref data_ref;
  napi_ref lengths_ref;
  napi_ref segment_sizes_ref;
  napi_ref on_batch_ref;
  napi_ref on_error_ref;
  napi_async_context async_context;
} ring_t;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      throw_last(env, #call);                              \
      return NULL;                                         \
    }                                                      \
  } while (0)

static void throw_last(napi_env env, const char* what) {
  const napi_extended_error_info* info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "RC_ERR_DATAGRAM_RING", info && info->error_message ? info->error_message : what);
}

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, "RC_ERR_DATAGRAM_RING", message);
  return NULL;
}

// Calls a stored JavaScript function as an I/O callback (microtasks run after it, as after
// any of Node's own socket events). An exception thrown there becomes an uncaught exception.
static void call_js(ring_t* r, napi_ref fn_ref, size_t argc, napi_value* argv) {
  napi_env env = r->env;
  napi_value fn, recv, result;
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv);  // MakeCallback needs an object as receiver
  if (napi_make_callback(env, r->async_context, recv, fn, argc, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
}

static void report_errno(ring_t* r, const char* what, int err) {
  napi_handle_scope scope;
  napi_open_handle_scope(r->env, &scope);
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value text, code, error;
  napi_create_string_utf8(r->env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_string_utf8(r->env, "RC_ERR_DATAGRAM_RING", NAPI_AUTO_LENGTH, &code);
  napi_create_error(r->env, code, text, &error);
  call_js(r, r->on_error_ref, 1, &error);
  napi_close_handle_scope(r->env, scope);
}

static void ring_release(ring_t* r) {
  if (--r->owners > 0) return;
  free(r->msgs);
  free(r->iovs);
  free(r->control);
  free(r);
}

static void on_closed(uv_handle_t* handle) {
  ring_t* r = (ring_t*)handle->data;
  if (--r->handles_open > 0) return;
  napi_env env = r->env;
  napi_delete_reference(env, r->data_ref);
  napi_delete_reference(env, r->lengths_ref);
  napi_delete_reference(env, r->segment_sizes_ref);
  napi_delete_reference(env, r->on_batch_ref);
  napi_delete_reference(env, r->on_error_ref);
  napi_async_destroy(env, r->async_context);
  close(r->fd);
  r->fd = -1;
  ring_release(r);
}

static void on_readable(uv_poll_t* handle, int status, int events);

// The datagram size of a coalesced slot (UDP_GRO control message), 0 for a single datagram.
static uint32_t segment_size(struct msghdr* hdr) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(hdr); c != NULL; c = CMSG_NXTHDR(hdr, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? (uint32_t)size : 0;
    }
  }
  return 0;
}

static void on_pause_over(uv_timer_t* timer) {
  ring_t* r = (ring_t*)timer->data;
  if (!r->closed) uv_poll_start(&r->poll, UV_READABLE, on_readable);
}

// Drained: stop watching the socket for pause_ms (0: keep watching).
static void pause_reading(ring_t* r) {
  if (r->pause_ms == 0 || r->closed) return;
  uv_poll_stop(&r->poll);
  uv_timer_start(&r->pause, on_pause_over, r->pause_ms, 0);
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)events;
  ring_t* r = (ring_t*)handle->data;
  if (r->closed) return;
  if (status < 0) {
    report_errno(r, "multicast socket", -status);
    return;
  }
  for (int round = 0; round < MAX_BATCHES_PER_EVENT && !r->closed; round++) {
    // recvmsg shrinks msg_controllen to what it wrote: give every slot its full room again.
    if (r->gro) {
      for (uint32_t i = 0; i < r->slots; i++) r->msgs[i].msg_hdr.msg_controllen = CONTROL_SPACE;
    }
    int n = recvmmsg(r->fd, r->msgs, r->slots, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) report_errno(r, "recvmmsg", errno);
      else pause_reading(r);
      return;
    }
    if (n == 0) return;
    // A datagram longer than a slot arrives cut off: its length is reported as slot_size + 1,
    // which the caller counts as malformed.
    for (int i = 0; i < n; i++) {
      r->lengths[i] = (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? r->slot_size + 1 : r->msgs[i].msg_len;
      r->segment_sizes[i] = r->gro ? segment_size(&r->msgs[i].msg_hdr) : 0;
    }
    napi_handle_scope scope;
    napi_open_handle_scope(r->env, &scope);
    napi_value count;
    napi_create_uint32(r->env, (uint32_t)n, &count);
    call_js(r, r->on_batch_ref, 1, &count);
    napi_close_handle_scope(r->env, scope);
    if ((uint32_t)n < r->slots) {
      pause_reading(r);
      return;
    }
  }
}

static int set_receive_buffer(int fd, int bytes) {
  // As root (the preboot agent) SO_RCVBUFFORCE passes net.core.rmem_max; else the kernel caps it.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

static int open_socket(uint32_t port, const char* group, const char* iface, int receive_buffer, int* out_fd, int* out_gro, const char** what) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { *what = "socket"; return errno; }
  int one = 1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  struct ip_mreq mreq;
  memset(&mreq, 0, sizeof mreq);
  int err = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) { *what = "SO_REUSEADDR"; err = errno; }
  else if (set_receive_buffer(fd, receive_buffer) != 0) { *what = "SO_RCVBUF"; err = errno; }
  else if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) { *what = "bind"; err = errno; }
  else if (inet_pton(AF_INET, group, &mreq.imr_multiaddr) != 1) { *what = "group address"; err = EINVAL; }
  else if (inet_pton(AF_INET, iface, &mreq.imr_interface) != 1) { *what = "interface address"; err = EINVAL; }
  else if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) { *what = "IP_ADD_MEMBERSHIP"; err = errno; }
  if (err != 0) { close(fd); return err; }
  // Without UDP_GRO (a kernel before 5.0) the kernel cuts coalesced packets up itself: slower,
  // never wrong, so its failure is not an error.
  *out_gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  *out_fd = fd;
  return 0;
}

static int get_string(napi_env env, napi_value value, char* out, size_t size) {
  size_t length = 0;
  return napi_get_value_string_utf8(env, value, out, size, &length) == napi_ok && length < size - 1;
}

static void ring_finalize(napi_env env, void* data, void* hint) {
  (void)env; (void)hint;
  // The JavaScript handle is gone. An external dropped without close() keeps its socket until
  // the process ends (the receiver always closes it); the ring is freed once both let go.
  ring_release((ring_t*)data);
}

// open(port, group, interfaceAddress, receiveBufferBytes, data: Buffer, slotSize, lengths: Uint32Array,
//      segmentSizes: Uint32Array, pauseMs, onBatch, onError) -> ring
static napi_value ring_open(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) { napi_throw_type_error(env, "RC_ERR_DATAGRAM_RING", "open() takes 11 arguments"); return NULL; }
  uint32_t port, slot_size, pause_ms;
  int32_t receive_buffer;
  char group[64], iface[64];
  CHECK(env, napi_get_value_uint32(env, argv[0], &port));
  if (!get_string(env, argv[1], group, sizeof group) || !get_string(env, argv[2], iface, sizeof iface)) {
    napi_throw_type_error(env, "RC_ERR_DATAGRAM_RING", "group and interface must be IPv4 addresses");
    return NULL;
  }
  CHECK(env, napi_get_value_int32(env, argv[3], &receive_buffer));
  void* data;
  size_t data_length;
  CHECK(env, napi_get_buffer_info(env, argv[4], &data, &data_length));
  CHECK(env, napi_get_value_uint32(env, argv[5], &slot_size));
  napi_typedarray_type lengths_type;
  size_t lengths_count;
  void* lengths;
  CHECK(env, napi_get_typedarray_info(env, argv[6], &lengths_type, &lengths_count, &lengths, NULL, NULL));
  napi_typedarray_type sizes_type;
  size_t sizes_count;
  void* segment_sizes;
  CHECK(env, napi_get_typedarray_info(env, argv[7], &sizes_type, &sizes_count, &segment_sizes, NULL, NULL));
  CHECK(env, napi_get_value_uint32(env, argv[8], &pause_ms));
  if (port == 0 || port > 65535 || slot_size == 0 || lengths_type != napi_uint32_array || lengths_count == 0 || data_length / slot_size < lengths_count
      || sizes_type != napi_uint32_array || sizes_count != lengths_count) {
    napi_throw_range_error(env, "RC_ERR_DATAGRAM_RING", "need a port, a slot size, Uint32Arrays of lengths and segment sizes of one length, and a buffer of that many slots");
    return NULL;
  }
  int fd = -1, gro = 0;
  const char* what = "";
  int err = open_socket(port, group, iface, receive_buffer, &fd, &gro, &what);
  if (err != 0) return throw_errno(env, what, err);

  ring_t* r = calloc(1, sizeof *r);
  if (r) {
    r->msgs = calloc(lengths_count, sizeof *r->msgs);
    r->iovs = calloc(lengths_count, sizeof *r->iovs);
    r->control = calloc(lengths_count, CONTROL_SPACE);
  }
  if (!r || !r->msgs || !r->iovs || !r->control) {
    close(fd);
    if (r) { free(r->msgs); free(r->iovs); free(r->control); free(r); }
    return throw_errno(env, "datagram ring", ENOMEM);
  }
  r->env = env;
  r->owners = 2;  // the JavaScript handle and the libuv handles
  r->fd = fd;
  r->slots = (uint32_t)lengths_count;
  r->slot_size = slot_size;
  r->pause_ms = pause_ms;
  r->data = data;
  r->lengths = lengths;
  r->segment_sizes = segment_sizes;
  r->gro = gro;
  for (uint32_t i = 0; i < r->slots; i++) {
    if (gro) r->msgs[i].msg_hdr.msg_control = r->control + (size_t)i * CONTROL_SPACE;
    r->segment_sizes[i] = 0;
    r->iovs[i].iov_base = r->data + (size_t)i * slot_size;
    r->iovs[i].iov_len = slot_size;
    r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
  }
  napi_value resource_name, ring;
  napi_create_string_utf8(env, "RackcastDatagramRing", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_reference(env, argv[4], 1, &r->data_ref);
  napi_create_reference(env, argv[6], 1, &r->lengths_ref);
  napi_create_reference(env, argv[7], 1, &r->segment_sizes_ref);
  napi_create_reference(env, argv[9], 1, &r->on_batch_ref);
  napi_create_reference(env, argv[10], 1, &r->on_error_ref);
  napi_async_init(env, NULL, resource_name, &r->async_context);
  // The handle JavaScript gets, made before reading starts: nothing can fail after that.
  napi_create_external(env, r, ring_finalize, NULL, &ring);
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  r->poll.data = r;
  r->pause.data = r;
  uv_timer_init(loop, &r->pause);
  r->handles_open = 1;
  int uv_err = uv_poll_init(loop, &r->poll, fd);
  if (uv_err == 0) {
    r->handles_open = 2;
    uv_err = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  }
  if (uv_err != 0) {
    r->closed = 1;
    uv_close((uv_handle_t*)&r->pause, on_closed);
    if (r->handles_open == 2) uv_close((uv_handle_t*)&r->poll, on_closed);
    return throw_errno(env, "uv_poll", -uv_err);
  }
  return ring;
}

static ring_t* ring_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* r = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_external(env, argv[0], &r) != napi_ok) {
    napi_throw_type_error(env, "RC_ERR_DATAGRAM_RING", "expected a ring from open()");
    return NULL;
  }
  return (ring_t*)r;
}

// close(ring): stops receiving now; the socket closes on the next loop turn. Idempotent.
static napi_value ring_close(napi_env env, napi_callback_info info) {
  ring_t* r = ring_arg(env, info);
  if (r == NULL || r->closed) return NULL;
  r->closed = 1;
  uv_poll_stop(&r->poll);
  uv_timer_stop(&r->pause);
  uv_close((uv_handle_t*)&r->poll, on_closed);
  uv_close((uv_handle_t*)&r->pause, on_closed);
  return NULL;
}

// receiveBufferBytes(ring): the socket's receive buffer as the kernel granted it.
static napi_value ring_receive_buffer(napi_env env, napi_callback_info info) {
  ring_t* r = ring_arg(env, info);
  if (r == NULL) return NULL;
  if (r->closed || r->fd < 0) { napi_throw_error(env, "RC_ERR_DATAGRAM_RING", "the ring is closed"); return NULL; }
  int bytes = 0;
  socklen_t length = sizeof bytes;
  if (getsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &bytes, &length) != 0) return throw_errno(env, "SO_RCVBUF", errno);
  napi_value result;
  napi_create_int32(env, bytes, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, ring_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, ring_close, NULL, NULL, NULL, napi_enumerable, NULL},
    {"receiveBufferBytes", NULL, ring_receive_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
