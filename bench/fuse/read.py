#!/usr/bin/env python3
"""Reads a directory tree the way a training loader does and prints the rate.

usage: read.py large|small ROOT READERS PASSES [REPEAT]

large: every file is cut into 32 MiB pieces that READERS processes read with 1 MiB preads; prints MB/s.
small: READERS processes open, read whole and close every file (REPEAT times per pass); prints files/s.
The first pass warms the caches and is not counted; the best of the remaining PASSES is printed.
"""
import os
import sys
import time
from multiprocessing import Pool

CHUNK = 32 << 20
BLOCK = 1 << 20


def files_under(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            out.append(os.path.join(d, n))
    out.sort()
    return out


def read_piece(item):
    path, start, length = item
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    fd = os.open(path, os.O_RDONLY)
    try:
        done = 0
        while done < length:
            n = os.preadv(fd, [view[: min(BLOCK, length - done)]], start + done)
            if n <= 0:
                break
            done += n
        return done
    finally:
        os.close(fd)


def read_whole(paths):
    total = 0
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                total += len(b)
        finally:
            os.close(fd)
    return total


def main():
    mode, root, readers, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    repeat = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    paths = files_under(root)
    if mode == "large":
        work = []
        for p in paths:
            size = os.stat(p).st_size
            for start in range(0, size, CHUNK):
                work.append((p, start, min(CHUNK, size - start)))
    else:
        per = 32
        work = [paths[i : i + per] for i in range(0, len(paths), per)] * repeat
    fn = read_piece if mode == "large" else read_whole
    best = None
    with Pool(readers) as pool:
        for i in range(passes + 1):
            t0 = time.perf_counter()
            total = sum(pool.map(fn, work, chunksize=1))
            elapsed = time.perf_counter() - t0
            rate = total / elapsed / 1e6 if mode == "large" else len(paths) * repeat / elapsed
            if i > 0 and (best is None or rate > best):
                best = rate
    print("%.1f" % best)


if __name__ == "__main__":
    main()
