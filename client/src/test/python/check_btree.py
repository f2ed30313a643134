"""Loads B-tree records written by the Java client with Debian's BTrees and checks them.

Usage: check_btree.py DIR ROOT_OID EXPECTED_JSON

DIR holds one file per object, named by its oid in hex, with the record (class pickle and state
pickle). Every record is unpickled with one persistent_load that makes each referenced object
once; then each object gets its state with __setstate__, BTrees.check.check() verifies the tree
(ordering, bucket chain, separators), and the items are compared with EXPECTED_JSON, a list of
[key, value] pairs where a persistent value is given as {"oid": hex}.
Prints "ok <n> items" or raises.
"""
import io
import json
import os
import sys

import BTrees.check
from zodbpickle import pickle

ALLOWED = {
    ("BTrees.LOBTree", "LOBTree"), ("BTrees.LOBTree", "LOBucket"),
    ("BTrees.IOBTree", "IOBTree"), ("BTrees.IOBTree", "IOBucket"),
    ("BTrees.OOBTree", "OOBTree"), ("BTrees.OOBTree", "OOBucket"),
    ("persistent.mapping", "PersistentMapping"), ("BTrees.Length", "Length"),
}


def main(folder, root_oid, expected_path):
    objects = {}
    records = {}

    def find_class(module, name):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError("refused class %s.%s" % (module, name))
        __import__(module)
        return getattr(sys.modules[module], name)

    def make(oid, klass):
        obj = objects.get(oid)
        if obj is None:
            obj = objects[oid] = klass.__new__(klass)
        return obj

    states = {}
    for name in os.listdir(folder):
        oid = bytes.fromhex(name)
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        records[oid] = data

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            return find_class(module, name)

        def persistent_load(self, pid):
            if isinstance(pid, tuple):
                oid, klass = pid
                return make(oid, klass)
            raise pickle.UnpicklingError("unexpected persistent id %r" % (pid,))

    def unpickler(data):
        return Reader(io.BytesIO(data))

    for oid, data in records.items():
        u = unpickler(data)
        klass = u.load()
        make(oid, klass)
        states[oid] = u.load()
    for oid, state in states.items():
        if state is not None:
            objects[oid].__setstate__(state)
    root = objects[bytes.fromhex(root_oid)]
    BTrees.check.check(root)
    with open(expected_path) as f:
        expected = json.load(f)
    oid_of = {id(x): o for o, x in objects.items()}
    got = []
    for k, v in root.items():
        if id(v) in oid_of:
            entry = {"oid": oid_of[id(v)].hex()}
            if type(v).__name__ == "Length":
                entry["length"] = v.value
            elif type(v).__name__ == "PersistentMapping":
                entry["mapping"] = dict(v.data)
            v = entry
        got.append([k, v])
    if got != expected:
        raise AssertionError("items differ: %d got, %d expected; first difference %r" % (
            len(got), len(expected),
            next(((g, e) for g, e in zip(got, expected) if g != e), None)))
    print("ok %d items" % len(got))


if __name__ == "__main__":
    main(*sys.argv[1:])
