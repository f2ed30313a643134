package org.zbig.zodb.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;

/** Each exception names the Python class of docs/protocol.md §2.5 it stands for. */
class StorageExceptionTest {
  @Test
  void pythonNamesAreThoseOfTheWire() {
    Oid oid = new Oid(1);
    Tid t1 = Tid.ofHex("040d2bc751adaccc");
    Tid t2 = Tid.ofHex("040d2bc74f84d8bb");
    Map<StorageException, String> expected =
        Map.ofEntries(
            Map.entry(new StorageException("x"), "ZODB.POSException.StorageError"),
            Map.entry(
                new ConflictException(ConflictException.DEFAULT_MESSAGE, oid, t1, t2, null),
                "ZODB.POSException.ConflictError"),
            Map.entry(
                new ReadConflictException(ReadConflictException.DEFAULT_MESSAGE, oid, t1, t2, null),
                "ZODB.POSException.ReadConflictError"),
            Map.entry(
                new BTreesConflictException(1, 2, 3, 4), "ZODB.POSException.BTreesConflictError"),
            Map.entry(new NoSuchObjectException(oid), "ZODB.POSException.POSKeyError"),
            Map.entry(new ReadOnlyException("read-only"), "ZODB.POSException.ReadOnlyError"),
            Map.entry(
                new StorageTransactionException("wrong txn"),
                "ZODB.POSException.StorageTransactionError"),
            Map.entry(new UndoException("no", oid), "ZODB.POSException.UndoError"),
            Map.entry(
                new MultipleUndoException(
                    List.of(new MultipleUndoException.Failure(oid, "changed"))),
                "ZODB.POSException.MultipleUndoErrors"),
            Map.entry(new MissingKeyException("k"), "builtins.KeyError"),
            Map.entry(new WrongTypeException("t"), "builtins.TypeError"),
            Map.entry(new InvalidValueException("unknown storage: nosuch"), "builtins.ValueError"),
            Map.entry(
                new ServerException("builtins.Exception", "boom"),
                "ZEO.Exceptions.ServerException"),
            Map.entry(new ProtocolException("bad"), "ZEO.Exceptions.ProtocolError"),
            Map.entry(new ClientDisconnectedException("down"), "ZEO.Exceptions.ClientDisconnected"),
            Map.entry(
                new CorruptRecordException(oid, t1, "bad", null),
                "ZODB.POSException.StorageError"));
    expected.forEach(
        (e, name) -> assertThat(e.pythonName()).as(e.getClass().getSimpleName()).isEqualTo(name));
  }

  @Test
  void conflictCarriesWhatTheWirePayloadCarries() {
    Oid oid = new Oid(1);
    Tid committed = Tid.ofHex("040d2bc751adaccc");
    Tid read = Tid.ofHex("040d2bc74f84d8bb");
    ConflictException e =
        new ConflictException(
            ConflictException.DEFAULT_MESSAGE,
            oid,
            committed,
            read,
            "persistent.mapping.PersistentMapping");
    assertThat(e.oid()).contains(oid);
    assertThat(e.committedSerial()).contains(committed);
    assertThat(e.readSerial()).contains(read);
    assertThat(e.className()).contains("persistent.mapping.PersistentMapping");
    assertThat(e.getMessage())
        .isEqualTo(
            "database conflict error (oid 0000000000000001, class"
                + " persistent.mapping.PersistentMapping, serial this txn started with"
                + " 040d2bc74f84d8bb, serial currently committed 040d2bc751adaccc)");
    assertThat(
            new ReadConflictException(
                ReadConflictException.DEFAULT_MESSAGE, null, null, null, null))
        .isInstanceOf(ConflictException.class)
        .hasMessage("database read conflict error");
    assertThat(new NoSuchObjectException(oid)).hasMessage("no such object: oid 0000000000000001");
  }
}
