#!/usr/bin/python3
"""Drive one car of an edge-racing NUC from Python, written from the README's bus contract alone.

Pair a driver key on the NUC first:

    npm run bus -- pair pat --role driver --car 1 --out ~/pat-keys

then, on any host that reaches the NUC:

    ./edge_driver.py --keys ~/pat-keys --host nuc.local --car 1 watch --frames 30
    ./edge_driver.py --keys ~/pat-keys --host nuc.local --car 1 drive --angle 0.5 --throttle 0.3 --seconds 3
    ./edge_driver.py --keys ~/pat-keys --host nuc.local --car 1 estop

It prints one JSON object per line (what it saw and sent), so a script can follow it.
Needs pyzmq and cryptography (Debian: python3-zmq python3-cryptography).
"""
import argparse
import hashlib
import hmac
import json
import struct
import sys
import time
from pathlib import Path

import zmq
from zmq.utils import z85
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PROTOCOL_VERSION = 1
SEAL_VERSION = b"\x01"


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


class Keys:
    """The three key files `npm run bus -- pair ... --out <dir>` writes: one 40-character Z85 key per line."""

    def __init__(self, directory):
        read = lambda name: (Path(directory) / name).read_text().strip()
        self.secret = read("client.secret")
        self.public = read("client.public")
        self.server = read("nuc.public")
        shared = X25519PrivateKey.from_private_bytes(z85.decode(self.secret)).exchange(
            X25519PublicKey.from_public_bytes(z85.decode(self.server))
        )
        # key = HKDF-SHA256(X25519(client secret, NUC public), salt "edge-racing bus", info "seal v1", 32 bytes)
        self.seal_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"edge-racing bus", info=b"seal v1").derive(shared)
        self.sender = z85.decode(self.public)

    def curve(self, socket):
        socket.curve_serverkey = self.server.encode()
        socket.curve_publickey = self.public.encode()
        socket.curve_secretkey = self.secret.encode()

    def seal_message(self, parts):
        content = b"M" + b"".join(struct.pack(">I", len(part)) + part for part in parts)
        return SEAL_VERSION + self.sender + hmac.new(self.seal_key, content, hashlib.sha256).digest()

    def subscription(self, prefix, subscribe=True):
        prefix = prefix.encode()
        seal = SEAL_VERSION + self.sender + hmac.new(self.seal_key, b"S" + prefix, hashlib.sha256).digest()
        return (b"\x01" if subscribe else b"\x00") + prefix + b"\x00" + seal


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None when it is not a JPEG."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


class Driver:
    def __init__(self, keys, host, pub_port, sub_port, car, name):
        self.keys = keys
        self.car = car
        self.name = name
        self.seqs = {}
        context = zmq.Context.instance()
        # publishers: an XPUB socket, so the proxy's subscription (the byte 0x01) tells us when we count
        self.pub = context.socket(zmq.XPUB)
        keys.curve(self.pub)
        self.pub.setsockopt(zmq.LINGER, 1000)
        self.pub.connect(f"tcp://{host}:{pub_port}")
        # subscribers: an XSUB socket, sending sealed subscriptions
        self.sub = context.socket(zmq.XSUB)
        keys.curve(self.sub)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.connect(f"tcp://{host}:{sub_port}")
        self.poller = zmq.Poller()
        self.poller.register(self.pub, zmq.POLLIN)
        self.poller.register(self.sub, zmq.POLLIN)
        self.publishing = False

    def subscribe(self, *kinds):
        for kind in kinds:
            self.sub.send(self.keys.subscription(f"car/{self.car}/{kind}"))

    def send(self, kind, fields, v=PROTOCOL_VERSION):
        topic = f"car/{self.car}/{kind}"
        seq = self.seqs.get(topic, -1) + 1
        self.seqs[topic] = seq
        header = {**fields, "v": v, "seq": seq, "ts": time.time() * 1000}
        parts = [topic.encode(), json.dumps(header).encode()]
        self.pub.send_multipart(parts + [self.keys.seal_message(parts)])

    def control(self, angle, throttle, **flags):
        self.send("control", {"angle": angle, "throttle": throttle, "input": self.name, **flags})

    def poll(self, timeout_ms, on_message):
        """Handles what arrives within timeout_ms: the proxy's subscription on XPUB, messages on XSUB."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for socket, _ in self.poller.poll(left * 1000):
                if socket is self.pub:
                    if self.pub.recv() == b"\x01" and not self.publishing:
                        self.publishing = True
                        emit("publishing")
                else:
                    on_message(self.sub.recv_multipart())

    def wait_until_publishing(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not self.publishing and time.monotonic() < deadline:
            self.poll(100, lambda parts: None)
        if not self.publishing:
            raise SystemExit(f"the NUC's proxy did not subscribe to us within {timeout_s} s: is the key paired and the address right?")

    def close(self):
        self.pub.close()
        self.sub.close()


class Watch:
    """Checks and reports frames and telemetry as they arrive."""

    def __init__(self, every_frame):
        self.frames = 0
        self.bad_frames = 0
        self.telemetry = None
        self.every_frame = every_frame

    def __call__(self, parts):
        topic = parts[0].decode()
        header = json.loads(parts[1])
        kind = topic.rsplit("/", 1)[1]
        if kind == "frame":
            size = jpeg_size(parts[2]) if len(parts) == 3 else None
            ok = size == (header["width"], header["height"])
            self.frames += 1
            self.bad_frames += 0 if ok else 1
            if self.every_frame or not ok:
                emit("frame", seq=header["seq"], width=header["width"], height=header["height"], jpeg=size, bytes=len(parts[2]) if len(parts) == 3 else 0, ok=ok)
        elif kind == "telemetry":
            self.telemetry = header
            emit("telemetry", mode=header["mode"], angle=header["angle"], throttle=header["throttle"], speed=header.get("speed"), estop=header.get("estop"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", required=True, help="the directory `npm run bus -- pair` wrote")
    parser.add_argument("--host", default="127.0.0.1", help="the NUC (nuc.host)")
    parser.add_argument("--pub-port", type=int, default=5560, help="the proxy's publishers port (nuc.busPublishersPort)")
    parser.add_argument("--sub-port", type=int, default=5559, help="the proxy's subscribers port (nuc.busSubscribersPort)")
    parser.add_argument("--car", default="1")
    parser.add_argument("--name", default="edge_driver.py", help="the control's `input` field")
    commands = parser.add_subparsers(dest="command", required=True)
    watch = commands.add_parser("watch", help="read frames (checking each JPEG's size against its header) and telemetry")
    watch.add_argument("--frames", type=int, default=30)
    watch.add_argument("--timeout", type=float, default=30)
    drive = commands.add_parser("drive", help="take the car in user mode and hold a steering angle and throttle")
    drive.add_argument("--angle", type=float, default=0.0)
    drive.add_argument("--throttle", type=float, default=0.0)
    drive.add_argument("--seconds", type=float, default=3.0, help="how long; Ctrl-C ends it early")
    drive.add_argument("--every-ms", type=float, default=50, help="how often the control is repeated (the car stops after 500 ms without one)")
    commands.add_parser("estop", help="latch the emergency stop")
    refuse = commands.add_parser("refused", help="send one control the NUC refuses, to see it counted (npm run bus -- list)")
    refuse.add_argument("--reason", choices=["version", "schema", "unknown-field"], default="version")
    args = parser.parse_args()

    driver = Driver(Keys(args.keys), args.host, args.pub_port, args.sub_port, args.car, args.name)
    try:
        if args.command == "watch":
            seen = Watch(every_frame=True)
            driver.subscribe("frame", "telemetry")
            deadline = time.monotonic() + args.timeout
            while seen.frames < args.frames and time.monotonic() < deadline:
                driver.poll(100, seen)
            emit("watched", frames=seen.frames, bad_frames=seen.bad_frames)
            return 0 if seen.frames >= args.frames and seen.bad_frames == 0 else 1
        driver.wait_until_publishing(10)
        if args.command == "estop":
            driver.control(0, 0, estop=True)
            emit("sent", control={"angle": 0, "throttle": 0, "estop": True})
            driver.poll(200, lambda parts: None)
            return 0
        if args.command == "refused":
            if args.reason == "version":
                driver.send("control", {"angle": 0, "throttle": 0}, v=PROTOCOL_VERSION + 1)
            elif args.reason == "schema":
                driver.send("control", {"mode": "user"})
            else:
                driver.send("control", {"angle": 0, "throttle": 0, "brake": 1})
            emit("sent", refused=args.reason)
            driver.poll(200, lambda parts: None)
            return 0
        seen = Watch(every_frame=False)
        driver.subscribe("frame", "telemetry")
        sent = 0
        end = time.monotonic() + args.seconds
        try:
            while time.monotonic() < end:
                driver.control(args.angle, args.throttle, mode="user")
                sent += 1
                driver.poll(args.every_ms, seen)
        except KeyboardInterrupt:
            pass  # Ctrl-C (SIGINT): stop driving, below
        # leave the car stopped, its wheels straight
        driver.control(0, 0)
        driver.poll(200, seen)
        emit("drove", controls=sent, frames=seen.frames, bad_frames=seen.bad_frames, last_telemetry=seen.telemetry)
        return 0 if seen.bad_frames == 0 else 1
    finally:
        driver.close()


if __name__ == "__main__":
    sys.exit(main())
