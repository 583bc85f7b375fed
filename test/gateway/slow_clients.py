#!/usr/bin/env python3
"""Slow clients against the gateway (a slowloris attack), for gateway_test.sh's slow_clients scenario.

    slow_clients.py PORT COUNT SECONDS [SOURCE_ADDRESS]

Opens COUNT connections to 127.0.0.1:PORT from SOURCE_ADDRESS (default 127.0.0.2, another
loopback address, so the real deliveries of the test come from another client), starts a request
on each and then sends one more header byte every second, never finishing the headers. After
SECONDS it prints one line: "opened=N closed_at_once=N closed_later=N open=N" (closed_at_once:
closed within a second of opening, e.g. over the per-address limit; closed_later: cut off while
trickling) and exits 0.
"""
import socket
import sys
import time


def main():
    port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    source = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.2"
    conns = []  # [socket, opened_at, closed_at or None]
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        opened = time.monotonic()
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"POST /api/41/webhook/none HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            s.setblocking(False)
            conns.append([s, opened, None])
        except OSError:
            conns.append([s, opened, opened])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for c in conns:
            if c[2] is not None:
                continue
            try:
                if c[0].recv(1) == b"":
                    c[2] = time.monotonic()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                c[2] = time.monotonic()
                continue
            try:
                c[0].send(b"a")
            except OSError:
                c[2] = time.monotonic()
        time.sleep(1.0)
    at_once = sum(1 for c in conns if c[2] is not None and c[2] - c[1] < 1.5)
    later = sum(1 for c in conns if c[2] is not None and c[2] - c[1] >= 1.5)
    still = sum(1 for c in conns if c[2] is None)
    print(f"opened={len(conns)} closed_at_once={at_once} closed_later={later} open={still}", flush=True)


if __name__ == "__main__":
    main()
