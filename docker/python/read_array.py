"""Reads a ZBigArray of a zbig (or any ZEO) server with plain Python ZODB and numpy.

wendelin.core need not be installed: its classes load as ZODB broken objects, whose pickled
state is the documented wendelin.core format (ZBigArray -> ZBigFile -> LOBTree of ZBlk0 / ZBlk1
blocks), so the array is put together from the block data here.

    python read_array.py HOST:PORT NAME [--every SECONDS] [--count N]
"""
import argparse
import math
import time

import numpy
import ZEO


def state(obj):
    """The pickled state of a (broken) persistent object."""
    obj._p_activate()
    return obj.__Broken_state__


def block_bytes(zblk):
    """The data of one block: ZBlk0 holds bytes, ZBlk1 a chunk table of ZData."""
    st = state(zblk)
    if isinstance(st, bytes):
        return st
    out = bytearray()
    for offset, zdata in st.items():
        chunk = state(zdata)
        if len(out) < offset:
            out.extend(b"\0" * (offset - len(out)))
        out[offset:offset + len(chunk)] = chunk
    return bytes(out)


def load(conn, name):
    """The array root[name] as a numpy array (a copy)."""
    d, slots = state(conn.root()[name])
    blksize, blktab = state(slots["zfile"])
    dtype, shape, order = d["_dtype"], tuple(d["_shape"]), d.get("_order", "C")
    nbytes = dtype.itemsize * math.prod(shape)
    buf = bytearray(nbytes)
    for blk, zblk in blktab.items():
        start = blk * blksize
        if start >= nbytes:
            break
        data = block_bytes(zblk)[: nbytes - start]
        buf[start:start + len(data)] = data
    return numpy.frombuffer(bytes(buf), dtype).reshape(shape, order=order)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("server", help="HOST:PORT")
    p.add_argument("name")
    p.add_argument("--every", type=float, default=2.0)
    p.add_argument("--count", type=int, default=0, help="reads, 0 for ever")
    a = p.parse_args()
    host, port = a.server.rsplit(":", 1)
    db = ZEO.DB((host, int(port)), read_only=True)
    n = 0
    while a.count == 0 or n < a.count:
        with db.transaction() as conn:
            if a.name in conn.root():
                arr = load(conn, a.name)
                print("python+numpy: %s shape %s dtype %s sum %.6g"
                      % (a.name, arr.shape, arr.dtype, arr.sum()), flush=True)
            else:
                print("python+numpy: no array %r yet" % a.name, flush=True)
        n += 1
        time.sleep(a.every)
    db.close()


if __name__ == "__main__":
    main()
