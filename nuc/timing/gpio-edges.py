#!/usr/bin/env python3
"""Edge events of one GPIO line, through the kernel's GPIO character device (uAPI v2).

The timing service runs this helper and reads its standard output; Node has no ioctl, and Debian
bookworm's gpiomon (libgpiod 1.6) speaks the older uAPI v1 without realtime event clocks. Only the
standard library: python3 is on Raspberry Pi OS and Debian alike, nothing to build.

It requests the line as an input with both edges, the bias asked for and the kernel's realtime clock
for event timestamps (GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME, Linux 5.11+), then prints:

    ready <chip name> <line count> <level>           once, with the line's level (1 active, 0 not)
    edge <rising|falling> <timestamp ns> <line seqno> per event, as the kernel stamped it

Levels and edges are logical: with --active-low the kernel inverts them, so "rising" always means
"became active". A failure is one line on standard error and a non-zero exit (2: bad arguments,
3: the chip or line cannot be had).
"""
import argparse
import errno
import fcntl
import os
import struct
import sys

# include/uapi/linux/gpio.h
GPIO_MAX_NAME_SIZE = 32
GPIO_V2_LINES_MAX = 64
GPIO_V2_LINE_NUM_ATTRS_MAX = 10
FLAG_ACTIVE_LOW = 1 << 1
FLAG_INPUT = 1 << 2
FLAG_EDGE_RISING = 1 << 4
FLAG_EDGE_FALLING = 1 << 5
FLAG_BIAS_PULL_UP = 1 << 8
FLAG_BIAS_PULL_DOWN = 1 << 9
FLAG_BIAS_DISABLED = 1 << 10
FLAG_EVENT_CLOCK_REALTIME = 1 << 11
EVENT_RISING = 1
EVENT_FALLING = 2

# struct gpiochip_info: name[32], label[32], u32 lines
CHIPINFO = struct.Struct('=32s32sI')
# struct gpio_v2_line_request: offsets[64] u32, consumer[32], config (u64 flags, u32 num_attrs,
# u32 padding[5], attrs[10] of 24 bytes), u32 num_lines, u32 event_buffer_size, u32 padding[5], s32 fd
LINE_REQUEST = struct.Struct('=64I32sQI5I240sII5Ii')
# struct gpio_v2_line_values: u64 bits, u64 mask
LINE_VALUES = struct.Struct('=QQ')
# struct gpio_v2_line_event: u64 timestamp_ns, u32 id, u32 offset, u32 seqno, u32 line_seqno, u32 padding[6]
LINE_EVENT = struct.Struct('=QIIII24x')


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (0xB4 << 8) | nr


def _ior(nr, size):
    return (2 << 30) | (size << 16) | (0xB4 << 8) | nr


GPIO_GET_CHIPINFO_IOCTL = _ior(0x01, CHIPINFO.size)
GPIO_V2_GET_LINE_IOCTL = _iowr(0x07, LINE_REQUEST.size)
GPIO_V2_LINE_GET_VALUES_IOCTL = _iowr(0x0E, LINE_VALUES.size)

BIAS_FLAGS = {
    'pull-up': FLAG_BIAS_PULL_UP,
    'pull-down': FLAG_BIAS_PULL_DOWN,
    'disabled': FLAG_BIAS_DISABLED,
    'as-is': 0,
}


def fail(code, message):
    sys.stderr.write(message + '\n')
    sys.stderr.flush()
    sys.exit(code)


def chip_path(chip):
    return chip if chip.startswith('/dev/') else '/dev/' + chip


def request_line(chip_fd, line, active_low, bias, event_buffer):
    flags = FLAG_INPUT | FLAG_EDGE_RISING | FLAG_EDGE_FALLING | FLAG_EVENT_CLOCK_REALTIME | BIAS_FLAGS[bias]
    if active_low:
        flags |= FLAG_ACTIVE_LOW
    offsets = [line] + [0] * (GPIO_V2_LINES_MAX - 1)
    request = bytearray(
        LINE_REQUEST.pack(*offsets, b'edge-racing-timing', flags, 0, 0, 0, 0, 0, 0, bytes(240), 1, event_buffer, 0, 0, 0, 0, 0, 0)
    )
    fcntl.ioctl(chip_fd, GPIO_V2_GET_LINE_IOCTL, request, True)
    return LINE_REQUEST.unpack(request)[-1]


def main():
    parser = argparse.ArgumentParser(description='print edge events of one GPIO line (uAPI v2)')
    parser.add_argument('--chip', required=True)
    parser.add_argument('--line', type=int, required=True)
    parser.add_argument('--bias', choices=sorted(BIAS_FLAGS), default='as-is')
    parser.add_argument('--active-low', action='store_true')
    parser.add_argument('--event-buffer', type=int, default=64)
    args = parser.parse_args()
    path = chip_path(args.chip)
    try:
        chip_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        fail(3, '%s: cannot open the GPIO chip: %s' % (path, error.strerror))
    info = bytearray(CHIPINFO.size)
    try:
        fcntl.ioctl(chip_fd, GPIO_GET_CHIPINFO_IOCTL, info, True)
    except OSError as error:
        fail(3, '%s: not a GPIO chip: %s' % (path, error.strerror))
    name, _label, lines = CHIPINFO.unpack(info)
    if not 0 <= args.line < lines:
        fail(3, '%s: has no line %d (it has %d lines, 0..%d)' % (path, args.line, lines, lines - 1))
    try:
        line_fd = request_line(chip_fd, args.line, args.active_low, args.bias, args.event_buffer)
    except OSError as error:
        if error.errno == errno.EBUSY:
            fail(3, '%s line %d: in use by another program' % (path, args.line))
        if error.errno in (errno.EINVAL, errno.ENOTTY):
            fail(3, '%s line %d: the kernel refused the request (uAPI v2 with edge events and realtime timestamps needs Linux 5.11+, and a line that can interrupt): %s' % (path, args.line, error.strerror))
        fail(3, '%s line %d: cannot request the line: %s' % (path, args.line, error.strerror))
    os.close(chip_fd)
    values = bytearray(LINE_VALUES.pack(0, 1))
    fcntl.ioctl(line_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, values, True)
    level = LINE_VALUES.unpack(values)[0] & 1
    out = sys.stdout
    out.write('ready %s %d %d\n' % (name.rstrip(b'\0').decode('ascii', 'replace'), lines, level))
    out.flush()
    size = LINE_EVENT.size
    while True:
        # several events per read when they queue up; the kernel drops the oldest when its buffer is full
        # (the line seqno then jumps, which the service counts)
        data = os.read(line_fd, size * 16)
        if not data:
            return
        for at in range(0, len(data) - size + 1, size):
            timestamp_ns, kind, _offset, _seqno, line_seqno = LINE_EVENT.unpack_from(data, at)
            out.write('edge %s %d %d\n' % ('rising' if kind == EVENT_RISING else 'falling', timestamp_ns, line_seqno))
        out.flush()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        pass
