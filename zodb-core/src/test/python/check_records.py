#!/usr/bin/python3
"""Checks records written by zbig with real Python libraries (formats spec section 9).

Usage: check_records.py DIR

DIR holds NAME.bin (a record: class pickle + state pickle) and NAME.json
({"class": "module.name", "state": <tagged JSON of the expected state>}).
For every record this script:
  1. unpickles both pickles with one zodbpickle Unpickler (one shared memo), with a
     persistent_load that records references and a find_class that allows only the
     classes of this project;
  2. compares the state with the expected tagged JSON (the vector conventions);
  3. creates the object (cls.__new__) and calls __setstate__(state): the C BTrees code
     type-checks keys, values and the tree shape; BTrees.check.check verifies inlined trees;
  4. checks the class rules of the formats spec (ZBlk0/ZData bytes without trailing NULs,
     ZBigFile blksize 2 MiB with an LOBTree, ZBigArray dict layout, dtype and _stridev).
Prints one line per failure and "checked N records: K ok"; exits 1 on any failure.
Needs Debian's python3-zodbpickle, python3-persistent, python3-btrees, python3-numpy.
"""
import hashlib
import io
import json
import math
import os
import sys

import BTrees.IOBTree
import BTrees.LOBTree
import BTrees.OOBTree
import numpy
import persistent
import persistent.mapping
from BTrees.check import check
from zodbpickle import pickle as zpickle


class ZBlkBase(persistent.Persistent):
    pass


class ZBlk0(ZBlkBase):
    def __setstate__(self, state):
        self.data = state


class ZBlk1(ZBlkBase):
    def __setstate__(self, state):
        self.chunktab = state


class ZData(persistent.Persistent):
    def __setstate__(self, state):
        self.data = state


class ZBigFile(persistent.Persistent):
    def __setstate__(self, state):
        self.blksize, self.blktab = state


class BigArray(object):
    pass


class ZBigArray(BigArray, persistent.Persistent):
    __slots__ = ('zfile',)


STANDINS = {
    ('wendelin.bigfile.file_zodb', 'ZBlk0'): ZBlk0,
    ('wendelin.bigfile.file_zodb', 'ZBlk'): ZBlk0,
    ('wendelin.bigfile.file_zodb', 'ZBlk1'): ZBlk1,
    ('wendelin.bigfile.file_zodb', 'ZData'): ZData,
    ('wendelin.bigfile.file_zodb', 'ZBigFile'): ZBigFile,
    ('wendelin.bigarray.array_zodb', 'ZBigArray'): ZBigArray,
    ('persistent.mapping', 'PersistentMapping'): persistent.mapping.PersistentMapping,
    ('numpy', 'dtype'): numpy.dtype,
    ('numpy.core.multiarray', 'scalar'): numpy.core.multiarray.scalar,
}
for _mod in (BTrees.LOBTree, BTrees.IOBTree, BTrees.OOBTree):
    for _name in dir(_mod):
        if _name[:2] in ('LO', 'IO', 'OO'):
            STANDINS[(_mod.__name__, _name)] = getattr(_mod, _name)

NAMES = {cls: '%s.%s' % key for key, cls in STANDINS.items()}
NAMES[ZBlk0] = 'wendelin.bigfile.file_zodb.ZBlk0'


class Ref(object):
    """A persistent reference that is not (oid, class)."""

    def __init__(self, form, oid, database=None):
        self.form, self.oid, self.database = form, oid, database


class Ghost(object):
    """Marks an object created by persistent_load (not a state value itself)."""


class RecordUnpickler(zpickle.Unpickler):
    def __init__(self, f):
        zpickle.Unpickler.__init__(self, f)
        self.refs = {}  # id(ghost) -> (oid, class name)

    def find_class(self, module, name):
        try:
            return STANDINS[(module, name)]
        except KeyError:
            raise zpickle.UnpicklingError('global not allowed: %s.%s' % (module, name))

    def persistent_load(self, pid):
        if isinstance(pid, tuple):
            oid, klass = pid
            ghost = klass.__new__(klass)
            self.refs[id(ghost)] = (oid, NAMES[klass])
            return ghost
        if isinstance(pid, bytes):
            return Ref('oid', pid)
        kind, args = pid
        if kind == 'w':
            return Ref('weak', args[0], args[1] if len(args) > 1 else None)
        raise zpickle.UnpicklingError('unexpected persistent id %r' % (pid,))


def tagged(v, refs):
    """The tagged JSON of formats spec 8 for an unpickled value."""
    if id(v) in refs:
        oid, cls = refs[id(v)]
        return {'$ref': {'form': 'oid_class', 'oid': int.from_bytes(oid, 'big'),
                         'oid_hex': oid.hex(), 'class': cls}}
    if isinstance(v, Ref):
        d = {'form': v.form, 'oid': int.from_bytes(v.oid, 'big'), 'oid_hex': v.oid.hex()}
        if v.database is not None:
            d['database'] = v.database
        return {'$ref': d}
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2 ** 53 else {'$int': str(v)}
    if isinstance(v, float):
        if math.isnan(v):
            return {'$float': 'nan'}
        if math.isinf(v):
            return {'$float': 'inf' if v > 0 else '-inf'}
        return v
    if isinstance(v, bytes):
        d = {'len': len(v), 'sha256': hashlib.sha256(v).hexdigest()}
        if len(v) <= 1024:
            d['hex'] = v.hex()
        else:
            d['head_hex'], d['tail_hex'] = v[:32].hex(), v[-32:].hex()
        return {'$bytes': d}
    if isinstance(v, tuple):
        return {'$tuple': [tagged(x, refs) for x in v]}
    if isinstance(v, list):
        return [tagged(x, refs) for x in v]
    if isinstance(v, dict):
        return {'$dict': [[tagged(k, refs), tagged(x, refs)] for k, x in v.items()]}
    if isinstance(v, numpy.dtype):
        callable_, args, state = v.__reduce__()
        return {'$obj': {'callable': {'$global': 'numpy.dtype'}, 'args': tagged(args, refs),
                         'how': 'reduce', 'state': tagged(state, refs)}}
    if isinstance(v, numpy.generic):
        callable_, args = v.__reduce__()
        return {'$obj': {'callable': {'$global': 'numpy.core.multiarray.scalar'},
                         'args': tagged(args, refs), 'how': 'reduce'}}
    if isinstance(v, type):
        return {'$global': NAMES.get(v, v.__module__ + '.' + v.__name__)}
    raise TypeError('no tagged form for %r' % (v,))


def check_rules(name, cls, state, obj):
    """Class-specific rules of formats spec section 4; returns a list of problems."""
    problems = []
    if cls in (ZBlk0, ZData):
        if not isinstance(state, bytes):
            problems.append('state is %s, not bytes' % type(state).__name__)
        elif state.endswith(b'\0'):
            problems.append('trailing NUL bytes not trimmed')
    if cls is ZData and state == b'':
        problems.append('empty ZData (an all-zero chunk must be deleted)')
    if cls is ZBigFile:
        if obj.blksize != 2 * 1024 * 1024:
            problems.append('blksize %r, not 2 MiB' % obj.blksize)
        if not isinstance(obj.blktab, BTrees.LOBTree.LOBTree):
            problems.append('blktab is not an LOBTree')
    if cls is ZBigArray:
        d = state[0]
        keys = [k for k in d if not k.startswith('_v_')]
        if keys not in (['_dtype', '_shape', '_order', '_stridev'], ['_dtype', '_shape', '_stridev']):
            problems.append('ZBigArray keys %r' % keys)
        dtype, shape = d['_dtype'], tuple(int(x) for x in d['_shape'])
        order = d.get('_order', 'C')
        strides, acc = [], dtype.itemsize
        axes = range(len(shape) - 1, -1, -1) if order == 'C' else range(len(shape))
        for i in axes:
            strides.append((i, acc))
            acc *= shape[i]
        expect = tuple(s for _, s in sorted(strides))
        if tuple(int(x) for x in d['_stridev']) != expect:
            problems.append('_stridev %r, expected %r' % (d['_stridev'], expect))
        if not isinstance(state[1].get('zfile'), ZBigFile):
            problems.append('zfile is not a ZBigFile reference')
    if isinstance(obj, BTrees.LOBTree.LOBTree) or isinstance(obj, BTrees.IOBTree.IOBTree) \
            or isinstance(obj, BTrees.OOBTree.OOBTree):
        if state is not None and len(state) == 1:  # inlined bucket: fully checkable
            check(obj)
    return problems


def check_one(directory, name):
    with open(os.path.join(directory, name + '.bin'), 'rb') as f:
        data = f.read()
    with open(os.path.join(directory, name + '.json')) as f:
        expect = json.load(f)
    u = RecordUnpickler(io.BytesIO(data))
    meta = u.load()
    state = u.load()
    cls = meta if isinstance(meta, type) else meta[0]
    problems = []
    if NAMES.get(cls) != expect['class'] and not (cls is ZBlk0 and expect['class'].endswith('.ZBlk')):
        problems.append('class %s, expected %s' % (NAMES.get(cls), expect['class']))
    got = tagged(state, u.refs)
    if got != expect['state']:
        problems.append('state differs:\n  python: %s\n  java:   %s'
                        % (json.dumps(got)[:2000], json.dumps(expect['state'])[:2000]))
    obj = cls.__new__(cls)
    obj.__setstate__(state)
    problems += check_rules(name, cls, state, obj)
    return problems


def main():
    directory = sys.argv[1]
    names = sorted(n[:-4] for n in os.listdir(directory) if n.endswith('.bin'))
    ok = 0
    for name in names:
        try:
            problems = check_one(directory, name)
        except Exception as e:  # report and go on with the next record
            problems = ['%s: %s' % (type(e).__name__, e)]
        if problems:
            for p in problems:
                print('FAIL %s: %s' % (name, p))
        else:
            ok += 1
    print('checked %d records: %d ok' % (len(names), ok))
    return 0 if names and ok == len(names) else 1


if __name__ == '__main__':
    sys.exit(main())
