"""A plain Python HTTP sink: the ingest baseline. Standard library only.

It accepts a connection, reads the request head and exactly Content-Length body bytes with
``recv_into`` a preallocated 1 MiB buffer (no parsing, no copying, no storing), answers
``201`` and closes. That is the most a Python process can take in over loopback with this
client, so ClassVault's upload throughput is compared against it.

    python sink_server.py --port P [--max-requests N] [--idle-timeout S]

It exits by itself after N requests or S seconds without a connection.
"""

import argparse
import socket

BUFFER = 1 << 20


def serve_one(conn: socket.socket) -> None:
    conn.settimeout(60)
    head = bytearray()
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(65536)
        if not chunk:
            return
        head += chunk
        if len(head) > 1 << 20:
            return
    raw_head, _, rest = bytes(head).partition(b"\r\n\r\n")
    length = 0
    for line in raw_head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    left = length - len(rest)
    buf = memoryview(bytearray(BUFFER))
    while left > 0:
        n = conn.recv_into(buf, min(BUFFER, left))
        if not n:
            return
        left -= n
    body = b'{"stored": false}'
    conn.sendall(
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-requests", type=int, default=50)
    parser.add_argument("--idle-timeout", type=float, default=300)
    args = parser.parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", args.port))
        server.listen(8)
        server.settimeout(args.idle_timeout)
        for _ in range(args.max_requests):
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                return
            with conn:
                try:
                    serve_one(conn)
                except OSError:
                    pass


if __name__ == "__main__":
    main()
