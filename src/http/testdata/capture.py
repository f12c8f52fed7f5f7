#!/usr/bin/python3
"""Regenerates the captured multipart bodies used by multipart_test.cpp.

Runs a one-shot HTTP server on 127.0.0.1 (port 0) and records exactly what
python-requests (the seed's client) and curl -F put on the wire. Each capture
is saved as NAME.body (raw body bytes) and NAME.ctype (Content-Type value);
the file payloads are small.bin and tricky.bin.
Usage: /usr/bin/python3 capture.py [OUTDIR]   (default: this directory)
"""
import os
import random
import socket
import subprocess
import sys
import threading

import requests

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def serve_once(sock, result):
    conn, _ = sock.accept()
    with conn:
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += conn.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode()
        if headers.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        n = int(headers["content-length"])
        while len(body) < n:
            body += conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        result["ctype"] = headers["content-type"]
        result["body"] = body


def capture(name, send):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    result = {}
    t = threading.Thread(target=serve_once, args=(sock, result))
    t.start()
    send(f"http://127.0.0.1:{sock.getsockname()[1]}")
    t.join()
    sock.close()
    with open(os.path.join(out, name + ".body"), "wb") as f:
        f.write(result["body"])
    with open(os.path.join(out, name + ".ctype"), "w") as f:
        f.write(result["ctype"])
    print(name, len(result["body"]), result["ctype"])


rng = random.Random(20261122)
small = bytes(rng.randrange(256) for _ in range(1024))
# Data that looks like line breaks and dashes, to exercise the delimiter search.
tricky = b"\r\n--\r\n-\r\n\r\n\r\r\n--" + small[:100] + b"\r\n" + b"-" * 80 + b"\r"
meta = '{"key": "reports/1K.data"}'
# The payloads themselves, so the tests can compare the parsed parts.
for name, data in (("small.bin", small), ("tricky.bin", tricky)):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

# Exactly the seed's call.
capture("requests_seed", lambda url: requests.post(
    url + "/upload/files", files={"data": ("", meta, "application/json"), "file": small}))
capture("requests_tricky", lambda url: requests.post(
    url + "/upload/files", files={"data": ("", '{"key": "t"}', "application/json"), "file": tricky}))
capture("requests_empty_file", lambda url: requests.post(
    url + "/upload/files", files={"data": ("", '{"key": "empty"}', "application/json"), "file": b""}))
capture("requests_named_file", lambda url: requests.post(
    url + "/upload/files", files={"data": ("", meta, "application/json"),
                                  "file": ('we"ird\\name.bin', small, "application/octet-stream")}))

tmp = os.path.join(out, "curl_upload.tmp")
with open(tmp, "wb") as f:
    f.write(small)
capture("curl_form", lambda url: subprocess.run(
    ["curl", "-sS", "-o", "/dev/null", "-F", 'data={"key":"c/1K.data"};type=application/json',
     "-F", "file=@" + tmp, url + "/upload/files"], check=True))
capture("curl_form_filename", lambda url: subprocess.run(
    ["curl", "-sS", "-o", "/dev/null", "-F", "data=plain text",
     "-F", 'file=@' + tmp + ';filename="a \\"quoted\\" name.bin"', url + "/upload/files"], check=True))
os.unlink(tmp)
