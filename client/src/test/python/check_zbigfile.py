"""Loads a ZBigFile written by the Java client with Debian's BTrees and persistent, and checks it.

Usage: check_zbigfile.py DIR ZBIGFILE_OID EXPECTED_JSON

DIR holds one file per object (its oid in hex) with its record. wendelin.core is not installed
here, so its four classes are stand-ins with wendelin's state rules (formats spec 4): ZBigFile
(blksize, blktab), ZBlk0 bytes, ZBlk1 a chunk IOBTree, ZData bytes. Every record is unpickled
with one persistent_load, states are set, BTrees.check.check() verifies the block table and every
chunk table, and each block is assembled as wendelin's reader does and compared, by sha256, with
EXPECTED_JSON ({"blksize": n, "blocks": {"<blk>": "<sha256 of the whole block>"}}).
Prints "ok <n> blocks" or raises.
"""
import hashlib
import io
import json
import os
import sys
import types

import BTrees.check
from persistent import Persistent
from zodbpickle import pickle


class ZBigFile(Persistent):
    def __setstate__(self, state):
        self.blksize, self.blktab = state


class ZBlk0(Persistent):
    def __setstate__(self, state):
        assert isinstance(state, bytes), state
        self.data = state


class ZBlk1(Persistent):
    def __setstate__(self, state):
        self.chunktab = state


class ZData(Persistent):
    def __setstate__(self, state):
        assert isinstance(state, bytes) and state, state
        assert not state.endswith(b"\0"), "ZData keeps trailing zeros"
        self.data = state


module = types.ModuleType("wendelin.bigfile.file_zodb")
for cls in (ZBigFile, ZBlk0, ZBlk1, ZData):
    cls.__module__ = module.__name__
    setattr(module, cls.__name__, cls)
sys.modules[module.__name__] = module

ALLOWED = {
    ("BTrees.LOBTree", "LOBTree"), ("BTrees.LOBTree", "LOBucket"),
    ("BTrees.IOBTree", "IOBTree"), ("BTrees.IOBTree", "IOBucket"),
    (module.__name__, "ZBigFile"), (module.__name__, "ZBlk0"),
    (module.__name__, "ZBlk1"), (module.__name__, "ZData"),
}


def main(folder, file_oid, expected_path):
    objects = {}

    def make(oid, klass):
        if oid not in objects:
            objects[oid] = klass.__new__(klass)
        return objects[oid]

    class Reader(pickle.Unpickler):
        def find_class(self, mod, name):
            if (mod, name) not in ALLOWED:
                raise pickle.UnpicklingError("refused class %s.%s" % (mod, name))
            if mod == module.__name__:
                return getattr(module, name)
            __import__(mod)
            return getattr(sys.modules[mod], name)

        def persistent_load(self, pid):
            oid, klass = pid
            return make(oid, klass)

    states = {}
    for name in os.listdir(folder):
        oid = bytes.fromhex(name)
        with open(os.path.join(folder, name), "rb") as f:
            u = Reader(io.BytesIO(f.read()))
        make(oid, u.load())
        states[oid] = u.load()
    for oid, state in states.items():
        if state is not None:
            objects[oid].__setstate__(state)
    zfile = objects[bytes.fromhex(file_oid)]
    with open(expected_path) as f:
        expected = json.load(f)
    assert zfile.blksize == expected["blksize"], zfile.blksize
    BTrees.check.check(zfile.blktab)
    got = {}
    for blk, zblk in zfile.blktab.items():
        if isinstance(zblk, ZBlk0):
            data = zblk.data
        else:
            BTrees.check.check(zblk.chunktab)
            buf = bytearray(zfile.blksize)
            for off, zdata in zblk.chunktab.items():
                buf[off:off + len(zdata.data)] = zdata.data
            data = bytes(buf)
        block = data + b"\0" * (zfile.blksize - len(data))
        got[str(blk)] = hashlib.sha256(block).hexdigest()
    zero = hashlib.sha256(b"\0" * zfile.blksize).hexdigest()
    for k in expected["blocks"]:
        got.setdefault(k, zero)  # a hole reads as zeros
    if got != expected["blocks"]:
        diff = sorted(k for k in set(got) | set(expected["blocks"])
                      if got.get(k) != expected["blocks"].get(k))
        raise AssertionError("blocks differ: %s" % diff[:10])
    print("ok %d blocks" % len(got))


if __name__ == "__main__":
    main(*sys.argv[1:])
