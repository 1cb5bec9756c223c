{
  "targets": [
    {
      "target_name": "datagram_ring",
      "sources": ["src/datagram_ring.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
