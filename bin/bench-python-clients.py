#!/usr/bin/env python3
# N unmodified Python ZEO clients (ClientStorage) against one ZEO server, ours or Python's:
#   bin/bench-python-clients.py HOST PORT read|commit PROCESSES SECONDS
# read: each process makes loadBefore round trips of 100 small objects, bypassing its client
# cache; commit: each process commits one object of its own per ZODB transaction. Prints the total
# rate. Needs ZODB and ZEO importable (they are not Debian packages: put their sources on
# PYTHONPATH); the objects are made on first use, in the root of the storage.
import sys, time, random, multiprocessing as mp

USAGE = "usage: bench-python-clients.py HOST PORT read|commit PROCESSES SECONDS"
if len(sys.argv) != 6:
    sys.exit(USAGE)
try:
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    nproc, dur = int(sys.argv[4]), float(sys.argv[5])
except ValueError as e:
    sys.exit(f"{e} ({USAGE})")
if mode not in ("read", "commit"):
    sys.exit(f"mode: {mode!r} (expected: read or commit)")
if not 1 <= nproc <= 64:
    sys.exit(f"processes: {nproc} (expected: 1 to 64)")
if not dur > 0:
    sys.exit(f"seconds: {dur} (expected: > 0)")
addr = (host, port)

def setup():
    import ZODB, transaction
    from ZEO.ClientStorage import ClientStorage
    from persistent.mapping import PersistentMapping
    db = ZODB.DB(ClientStorage(addr, wait=True))
    c = db.open(); root = c.root()
    if 'objs' not in root:
        root['objs'] = [PersistentMapping(v=b'x' * 100) for _ in range(100)]
        root['own'] = [PersistentMapping(n=0) for _ in range(64)]
        transaction.commit()
    oids = [o._p_oid for o in root['objs']]
    db.close()
    return oids

def reader(oids, q):
    from ZEO.ClientStorage import ClientStorage
    from ZODB.utils import maxtid
    st = ClientStorage(addr, wait=True)
    end = time.time() + dur; n = 0
    while time.time() < end:
        for _ in range(50):
            st._call('loadBefore', random.choice(oids), maxtid)
        n += 50
    st.close(); q.put(n)

def committer(i, q):
    import ZODB, transaction
    from ZEO.ClientStorage import ClientStorage
    db = ZODB.DB(ClientStorage(addr, wait=True))
    c = db.open(); mine = c.root()['own'][i]
    end = time.time() + dur; n = 0
    while time.time() < end:
        mine['n'] = n; transaction.commit(); n += 1
    db.close(); q.put(n)

if __name__ == '__main__':
    oids = setup()
    q = mp.Queue()
    ps = [mp.Process(target=reader, args=(oids, q)) if mode == 'read' else mp.Process(target=committer, args=(i, q)) for i in range(nproc)]
    t0 = time.time()
    for p in ps: p.start()
    total = sum(q.get() for _ in ps)
    for p in ps: p.join()
    print(f"{mode} {nproc} processes: {total / dur:.0f}/s")
