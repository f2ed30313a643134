"""Checks ZBigArray records written by the Java client with real numpy.

Usage: check_zbigarray.py FILE...

Each FILE holds one ZBigArray record (class pickle and state pickle). wendelin.core is not
installed here, so its classes are stand-ins; numpy.dtype is the real one. For each record the
state must be the 2-tuple ({'_dtype', '_shape', '_order', '_stridev'}, {'zfile': ...}), numpy must
rebuild the dtype, and _stridev must equal the strides numpy gives an array of that shape, dtype
and order. Prints one "ok <dtype.str> <shape> <order>" line per record, or raises.
"""
import io
import sys
import types

import numpy
from persistent import Persistent
from zodbpickle import pickle


class ZBigArray(Persistent):
    def __setstate__(self, state):
        self.state = state


class ZBigFile(Persistent):
    pass


for mod, cls in (("wendelin.bigarray.array_zodb", ZBigArray), ("wendelin.bigfile.file_zodb", ZBigFile)):
    m = sys.modules.setdefault(mod, types.ModuleType(mod))
    cls.__module__ = mod
    setattr(m, cls.__name__, cls)


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("numpy", "dtype"):
            return numpy.dtype
        if (module, name) in (("wendelin.bigarray.array_zodb", "ZBigArray"),
                              ("wendelin.bigfile.file_zodb", "ZBigFile")):
            return getattr(sys.modules[module], name)
        raise pickle.UnpicklingError("refused class %s.%s" % (module, name))

    def persistent_load(self, pid):
        oid, klass = pid
        return klass.__new__(klass)


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        u = Reader(io.BytesIO(f.read()))
    klass = u.load()
    assert klass is ZBigArray, klass
    state = u.load()
    assert isinstance(state, tuple) and len(state) == 2, state
    d, slots = state
    assert list(d) == ["_dtype", "_shape", "_order", "_stridev"], list(d)
    assert isinstance(slots["zfile"], ZBigFile), slots
    dtype = d["_dtype"]
    assert isinstance(dtype, numpy.dtype), dtype
    shape = d["_shape"]
    assert all(type(x) is int for x in shape), shape
    strides = numpy.empty(shape, dtype=dtype, order=d["_order"]).strides
    if 0 in shape:
        # numpy may zero the strides of an empty array; wendelin's formula does not
        dims = list(shape) if d["_order"] == "C" else list(reversed(shape))
        s, out = dtype.itemsize, []
        for n in reversed(dims):
            out.append(s)
            s *= n
        strides = tuple(reversed(out)) if d["_order"] == "C" else tuple(out)
    assert tuple(d["_stridev"]) == strides, (d["_stridev"], strides)
    print("ok %s %s %s" % (dtype.str, shape, d["_order"]))
