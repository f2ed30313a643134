package org.zbig.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zbig.wire.vectors.ZeoVectors;
import org.zbig.wire.vectors.ZeoVectors.Frame;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ConflictException;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadConflictException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.LoadResult;

/** Chosen recorded frames decode to exactly the records and results a user of the API expects. */
class TypedMessagesTest {
  private static Message decode(String file, int seq) {
    return ZeoVectors.frames(file).stream()
        .filter(x -> x.seq() == seq)
        .findFirst()
        .orElseThrow()
        .message();
  }

  private static Frame find(String file, String dir, String needle) {
    return ZeoVectors.frames(file).stream()
        .filter(f -> f.dir().equals(dir) && f.decoded().toString().contains(needle))
        .findFirst()
        .orElseThrow(() -> new AssertionError(needle + " not in " + file));
  }

  private static Message decode(Frame f) {
    return f.message();
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void handshakeAndRegister(String folder) {
    String file = folder + "/01-handshake-register-get_info.jsonl";
    assertThat(decode(file, 3)).isEqualTo(new Register(MsgId.of(1), "1", false));
    Reply reply = (Reply) decode(file, 4);
    assertThat(new Register(MsgId.of(1), "1", false).decodeResult(reply.value())).contains(Tid.Z64);
    Reply info = (Reply) decode(find(file, "s2c", "interfaces"));
    Map<String, Object> d = new GetInfo(MsgId.of(2)).decodeResult(info.value());
    assertThat(d).containsEntry("supportsUndo", true).containsKey("length");
    List<Object> interfaces = WireValues.sequence(d.get("interfaces"), "interfaces");
    assertThat(interfaces).contains(Tuple.of("ZODB.interfaces", "IBlobStorage"));
    if (folder.equals("pickle")) {
      assertThat(d.get("interfaces")).isInstanceOf(Tuple.class);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void loadBeforeUsesATupleMsgidAndReportsPosKeyError(String folder) {
    String file = folder + "/02-load-root.jsonl";
    LoadBefore load = (LoadBefore) decode(find(file, "c2s", "loadBefore"));
    assertThat(load).isEqualTo(LoadBefore.of(Oid.ROOT, new Tid(1)));
    ErrorReply error = (ErrorReply) decode(find(file, "s2c", "POSKeyError"));
    assertThat(error.msgid()).isEqualTo(load.msgid());
    assertThat(error.toException())
        .isInstanceOfSatisfying(
            NoSuchObjectException.class, e -> assertThat(e.oid()).isEqualTo(Oid.ROOT));
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void loadBeforeOfAnOldRevisionHasAnEndTid(String folder) {
    String file = folder + "/15-loadSerial.jsonl";
    LoadBefore load = null;
    for (Frame f : ZeoVectors.frames(file)) {
      if (!f.kind().equals("message")) {
        continue;
      }
      Message m = decode(f);
      if (m instanceof LoadBefore l && !l.before().equals(Tid.MAX)) {
        load = l;
      } else if (load != null && m instanceof Reply r && r.msgid().equals(load.msgid())) {
        Optional<LoadResult> result = load.decodeResult(r.value());
        assertThat(result).isPresent();
        assertThat(result.get().end()).isNotNull();
        assertThat(result.get().start()).isLessThan(load.before());
        assertThat(result.get().end()).isGreaterThanOrEqualTo(load.before());
        return;
      }
    }
    throw new AssertionError("no loadBefore of an old revision in " + file);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void commitFlow(String folder) {
    String file = folder + "/04-commit-two-objects.jsonl";
    TpcBegin begin = (TpcBegin) decode(find(file, "c2s", "tpc_begin"));
    assertThat(begin.extension()).containsEntry("ext-key", "ext-value");
    assertThat(begin.tid()).isNull();
    assertThat(begin.status()).isEqualTo(" ");
    StoreA store = (StoreA) decode(find(file, "c2s", "storea"));
    assertThat(store.txn()).isEqualTo(begin.txn());
    assertThat(store.serial()).isEqualTo(Tid.Z64);
    Info info = (Info) decode(find(file, "s2c", "\"info\""));
    assertThat(info.info()).containsKeys("length", "size");
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void invalidationNamesTheChangedOid(String folder) {
    InvalidateTransaction inv =
        (InvalidateTransaction)
            decode(find(folder + "/05-invalidation.jsonl", "s2c", "invalidateTransaction"));
    assertThat(inv.oids()).isNotEmpty();
    assertThat(inv.tid()).isGreaterThan(Tid.Z64);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void conflictErrorsCarryOidSerialsAndClass(String folder) {
    ErrorReply e =
        (ErrorReply) decode(find(folder + "/06-conflict-error.jsonl", "s2c", "ConflictError"));
    assertThat(e.toException())
        .isExactlyInstanceOf(ConflictException.class)
        .satisfies(x -> {
          ConflictException c = (ConflictException) x;
          assertThat(c.rawMessage()).isEqualTo("database conflict error");
          assertThat(c.oid()).contains(new Oid(1));
          assertThat(c.className()).contains("persistent.mapping.PersistentMapping");
          assertThat(c.committedSerial().orElseThrow()).isGreaterThan(c.readSerial().orElseThrow());
        });
    ErrorReply r =
        (ErrorReply) decode(find(folder + "/10-read-conflict.jsonl", "s2c", "ReadConflictError"));
    assertThat(r.toException()).isExactlyInstanceOf(ReadConflictException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void voteAsksTheClientToResolve(String folder) {
    String file = folder + "/07-conflict-resolution-client-side.jsonl";
    Vote vote = null;
    for (Frame f : ZeoVectors.frames(file)) {
      if (!f.kind().equals("message")) {
        continue;
      }
      Message m = decode(f);
      if (m instanceof Vote v) {
        vote = v;
      } else if (vote != null && m instanceof Reply r && r.msgid().equals(vote.msgid())) {
        VoteResult result = vote.decodeResult(r.value());
        if (!result.conflicts().isEmpty()) {
          ResolvableConflict c = result.conflicts().getFirst();
          assertThat(c.committed()).isGreaterThan(c.read());
          assertThat(c.data().length()).isPositive();
          return;
        }
      }
    }
    throw new AssertionError("no conflict dict in " + file);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void undoVoteReturnsChangedOids(String folder) {
    String file = folder + "/12-undo.jsonl";
    UndoA undo = (UndoA) decode(find(file, "c2s", "undoa"));
    Vote vote =
        ZeoVectors.frames(file).stream()
            .filter(f -> f.kind().equals("message") && f.fromClient())
            .map(TypedMessagesTest::decode)
            .filter(m -> m instanceof Vote v && v.txn() == undo.txn())
            .map(Vote.class::cast)
            .findFirst()
            .orElseThrow();
    Reply reply =
        ZeoVectors.frames(file).stream()
            .filter(f -> f.kind().equals("message") && !f.fromClient())
            .map(TypedMessagesTest::decode)
            .filter(m -> m instanceof Reply r && r.msgid().equals(vote.msgid()))
            .map(Reply.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(vote.decodeResult(reply.value()).changed()).isNotEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void otherErrorReplies(String folder) {
    ErrorReply ro =
        (ErrorReply) decode(find(folder + "/19-read-only-error.jsonl", "s2c", "ReadOnlyError"));
    assertThat(ro.toException()).isInstanceOf(ReadOnlyException.class);
    ErrorReply unknown =
        (ErrorReply) decode(find(folder + "/20-unknown-storage.jsonl", "s2c", "ValueError"));
    assertThat(unknown.toException())
        .isInstanceOf(InvalidValueException.class)
        .hasMessage("unknown storage: nosuch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void blobUploadAndDownload(String folder) {
    String file = folder + "/22-blob-store-and-load.jsonl";
    assertThat(decode(find(file, "c2s", "storeBlobStart"))).isEqualTo(new StoreBlobStart());
    StoreBlobChunk chunk = (StoreBlobChunk) decode(find(file, "c2s", "storeBlobChunk"));
    assertThat(chunk.chunk().length()).isPositive();
    assertThat(decode(find(file, "c2s", "storeBlobEnd"))).isInstanceOf(StoreBlobEnd.class);
    assertThat(decode(find(file, "c2s", "sendBlob"))).isInstanceOf(SendBlob.class);
    ReceiveBlobChunk down = (ReceiveBlobChunk) decode(find(file, "s2c", "receiveBlobChunk"));
    assertThat(down.chunk()).isEqualTo(chunk.chunk());
    assertThat(decode(find(file, "s2c", "receiveBlobStop"))).isInstanceOf(ReceiveBlobStop.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pickle", "msgpack"})
  void iteration(String folder) {
    String file = folder + "/14-iterator.jsonl";
    assertThat(decode(find(file, "c2s", "iterator_start")))
        .isEqualTo(
            new IteratorStart(
                ((IteratorStart) decode(find(file, "c2s", "iterator_start"))).msgid(), null, null));
    assertThat(decode(find(file, "c2s", "iterator_record_next")))
        .isInstanceOf(IteratorRecordNext.class);
  }
}
