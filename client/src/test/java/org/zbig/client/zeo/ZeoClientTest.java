package org.zbig.client.zeo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.zbig.server.ServerConfig;
import org.zbig.server.ZeoServer;
import org.zbig.wire.*;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.error.ClientDisconnectedException;
import org.zbig.zodb.error.InvalidValueException;
import org.zbig.zodb.error.NoSuchObjectException;
import org.zbig.zodb.error.ReadOnlyException;
import org.zbig.zodb.pickle.Bytes;
import org.zbig.zodb.pickle.Tuple;
import org.zbig.zodb.storage.*;

/** The ZEO connection against a real server (and a scripted one for what a server cannot show). */
class ZeoClientTest {
  @TempDir Path dir;
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLater.reversed()) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T later(T c) {
    closeLater.add(c);
    return c;
  }

  /** Records what the server told. */
  static final class Recorder implements ZeoClient.Listener {
    final List<Object> events = Collections.synchronizedList(new ArrayList<>());
    final java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void invalidate(Tid tid, List<Oid> oids) {
      threads.add(Thread.currentThread().getName());
      events.add(new InvalidateTransaction(tid, oids));
    }

    @Override
    public void invalidateAll(Tid tid) {
      events.add("all " + tid.toHex());
    }

    @Override
    public void connected(Tid tid) {
      events.add("connected");
    }

    @Override
    public void disconnected(Throwable cause) {
      events.add("disconnected");
    }
  }

  private static ClientOptions fast() {
    return ClientOptions.defaults().withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10));
  }

  private static ZeoServer server(ServerConfig c) throws InterruptedException {
    return ZeoServer.start(c);
  }

  private ServerConfig onDisk(int port) {
    ServerConfig m = ServerConfig.inMemory();
    return new ServerConfig(
        m.host(), port, dir.resolve("data"), "1", m.offer(), false, 100, null, true, m.maxFrame());
  }

  static Tid commit(ZeoClient c, long txn, Oid oid, Tid serial, Bytes data) {
    c.send(new TpcBegin(txn, Bytes.utf8("/ t"), Bytes.utf8("d"), Map.of(), null, " "));
    c.send(new StoreA(oid, serial, data, txn));
    VoteResult vote = c.invoke(id -> new Vote(id, txn));
    assertThat(vote).isEqualTo(VoteResult.OK);
    Tid tid = c.invoke(id -> new TpcFinish(id, txn));
    return tid;
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void registersReadsInfoAndPipelinesCalls(Encoding e) throws Exception {
    ZeoServer s = later(server(ServerConfig.inMemory().withOffer(e)));
    ZeoClient c = later(ZeoClient.open(s.address(), fast(), new Recorder()));
    assertThat(c.encoding()).isEqualTo(e);
    assertThat(c.info()).containsKey("interfaces").containsEntry("supportsUndo", true);
    Tid t1 = commit(c, 1, Oid.ROOT, Tid.Z64, Bytes.utf8("root"));
    // many requests in flight at once
    List<CompletableFuture<java.util.Optional<LoadResult>>> loads = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      loads.add(c.call(id -> new LoadBefore(id, Oid.ROOT, Tid.MAX)));
    }
    for (var f : loads) {
      assertThat(f.join()).contains(new LoadResult(Bytes.utf8("root"), t1, null));
    }
    assertThatThrownBy(() -> c.invoke(id -> new LoadBefore(id, new Oid(7), Tid.MAX)))
        .isInstanceOf(NoSuchObjectException.class);
    assertThat(c.info()).containsEntry("length", 1L); // the info call after the commit
  }

  @Test
  void aBatchWritesItsCallsTogetherAndEachGetsItsOwnReply() throws Exception {
    ZeoServer s = later(server(ServerConfig.inMemory()));
    ZeoClient c = later(ZeoClient.open(s.address(), fast(), new Recorder()));
    List<Tid> tids = new ArrayList<>();
    Tid serial = Tid.Z64;
    for (int i = 1; i <= 3; i++) {
      tids.add(commit(c, i, new Oid(i), serial, Bytes.utf8("v" + i)));
    }
    List<Oid> seenInLoop = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<java.util.Optional<LoadResult>>> loads = new ArrayList<>();
    try (ZeoClient.Batch b = c.batch()) {
      for (int i = 0; i < 300; i++) {
        Oid oid = new Oid(1 + i % 4); // oid 4 does not exist
        loads.add(
            b.call(
                id -> new LoadBefore(id, oid, Tid.MAX),
                found -> found.ifPresent(x -> seenInLoop.add(oid))));
      }
      assertThat(loads.getFirst()).as("nothing is written before the batch closes").isNotDone();
    }
    for (int i = 0; i < loads.size(); i++) {
      int o = 1 + i % 4;
      if (o == 4) {
        assertThatThrownBy(loads.get(i)::join).hasCauseInstanceOf(NoSuchObjectException.class);
      } else {
        assertThat(loads.get(i).join())
            .contains(new LoadResult(Bytes.utf8("v" + o), tids.get(o - 1), null));
      }
    }
    assertThat(seenInLoop).hasSize(225);
    // a batch of a client that is down fails each call at once
    c.close();
    try (ZeoClient.Batch b = c.batch()) {
      assertThat(b.call(id -> new LoadBefore(id, new Oid(1), Tid.MAX), null))
          .isCompletedExceptionally();
    }
  }

  @Test
  void invalidationsReachTheOtherClientsListenerInTidOrder() throws Exception {
    ZeoServer s = later(server(ServerConfig.inMemory()));
    ZeoClient a = later(ZeoClient.open(s.address(), fast(), new Recorder()));
    Recorder seen = new Recorder();
    ZeoClient b = later(ZeoClient.open(s.address(), fast(), seen));
    Tid serial = Tid.Z64;
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      serial = commit(a, i + 1, new Oid(1), serial, Bytes.utf8("v" + i));
      expected.add(new InvalidateTransaction(serial, List.of(new Oid(1))));
    }
    b.invoke(Ping::new);
    assertThat(seen.events).containsSubsequence(expected);
    assertThat(b.lastTransaction()).isEqualTo(serial);
  }

  @Test
  void clientsSharingNetworkThreadsKeepTheirOrderAndCloseOneByOne() throws Exception {
    assertThatThrownBy(() -> ClientEventLoops.create(0))
        .hasMessage("threads: 0 (expected: 1 to 1024)");
    ZeoServer s = later(server(ServerConfig.inMemory()));
    ClientEventLoops loops = later(ClientEventLoops.create(2));
    ZeoClient writer = later(ZeoClient.open(s.address(), fast(), new Recorder()));
    List<Recorder> seen = new ArrayList<>();
    List<ZeoClient> readers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Recorder r = new Recorder();
      seen.add(r);
      readers.add(later(ZeoClient.open(List.of(s.address()), fast(), r, loops)));
    }
    Tid serial = Tid.Z64;
    List<Object> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      serial = commit(writer, i + 1, new Oid(1), serial, Bytes.utf8("v" + i));
      expected.add(new InvalidateTransaction(serial, List.of(new Oid(1))));
    }
    java.util.Set<String> all = new java.util.HashSet<>();
    for (int i = 0; i < 3; i++) {
      readers.get(i).invoke(Ping::new);
      assertThat(seen.get(i).events).containsSubsequence(expected);
      assertThat(seen.get(i).threads).as("one thread per client, for its whole life").hasSize(1);
      all.addAll(seen.get(i).threads);
    }
    assertThat(all).hasSize(2).allMatch(n -> n.startsWith("zbig-zeo-shared"));
    // closing one client leaves the threads to the others
    readers.getFirst().close();
    Tid last = serial;
    for (ZeoClient c : readers.subList(1, 3)) {
      List<CompletableFuture<java.util.Optional<LoadResult>>> loads = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        loads.add(c.call(id -> new LoadBefore(id, new Oid(1), Tid.MAX)));
      }
      for (var f : loads) {
        assertThat(f.join()).contains(new LoadResult(Bytes.utf8("v19"), last, null));
      }
    }
    for (ZeoClient c : readers) {
      c.close();
    }
    loops.close();
    assertThatThrownBy(() -> ZeoClient.open(List.of(s.address()), fast(), new Recorder(), loops))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("client event loops closed");
  }

  @Test
  void afterAServerRestartTheClientReconnectsAndLearnsWhatChanged() throws Exception {
    ZeoServer s = server(onDisk(0));
    int port = s.address().getPort();
    Recorder seen = new Recorder();
    ClientOptions slowReconnect =
        ClientOptions.builder()
            .timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10))
            .reconnect(Duration.ofMillis(1500), Duration.ofSeconds(3))
            .maxFrame(1 << 20)
            .build();
    ZeoClient b = later(ZeoClient.open(s.address(), slowReconnect, seen));
    ZeoClient a = ZeoClient.open(s.address(), fast(), new Recorder());
    Tid t1 = commit(a, 1, new Oid(1), Tid.Z64, Bytes.utf8("one"));
    b.invoke(Ping::new);
    a.close();
    s.close();
    // a call while the server is down fails clearly
    assertThat(b.isConnected()).isFalse();
    assertThatThrownBy(() -> b.invoke(Ping::new)).isInstanceOf(ClientDisconnectedException.class);
    ZeoServer again = later(server(onDisk(port)));
    // another client commits before b is back: b must learn it through getInvalidations
    ZeoClient c = later(ZeoClient.open(again.address(), fast(), new Recorder()));
    Tid t2 = commit(c, 2, new Oid(2), Tid.Z64, Bytes.utf8("two"));
    assertThat(b.awaitConnected(10_000)).isTrue();
    assertThat(seen.events)
        .containsSubsequence(
            "connected",
            new InvalidateTransaction(t1, List.of(new Oid(1))),
            "disconnected",
            new InvalidateTransaction(t2, List.of(new Oid(2))),
            "connected");
    assertThat(b.lastTransaction()).isEqualTo(t2);
    assertThat(b.loadCurrent(new Oid(2)).orElseThrow().data()).isEqualTo(Bytes.utf8("two"));
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  private ServerConfig onDisk(Path data, int port) {
    ServerConfig m = ServerConfig.inMemory();
    return new ServerConfig(
        m.host(), port, data, "1", m.offer(), false, 100, null, true, m.maxFrame());
  }

  /**
   * Several addresses: an unreachable first one is skipped; when the server goes away the client
   * fails over to the next address, refuses a server behind it on the way, and verifies its cache
   * there, learning a commit made while it was away.
   */
  @Test
  void failsOverToTheNextAddressSkippingDeadAndBehindServersAndVerifiesItsCache() throws Exception {
    Path data = dir.resolve("shared");
    ZeoServer first = server(onDisk(data, 0));
    InetSocketAddress nowhere = new InetSocketAddress("127.0.0.1", freePort());
    ZeoServer behind = later(server(ServerConfig.inMemory())); // an empty storage: tid 0
    InetSocketAddress second = new InetSocketAddress("127.0.0.1", freePort());
    Recorder seen = new Recorder();
    ZeoClient b =
        later(
            ZeoClient.open(
                List.of(nowhere, first.address(), behind.address(), second), fast(), seen));
    assertThat(b.address()).isEqualTo(first.address());
    assertThat(b.addresses()).hasSize(4);
    Tid t1 = commit(b, 1, new Oid(1), Tid.Z64, Bytes.utf8("one"));
    first.close();
    awaitDisconnected(b);
    // the same data served at another address, where another client commits first
    ZeoServer next = later(server(onDisk(data, second.getPort())));
    ZeoClient c = later(ZeoClient.open(next.address(), fast(), new Recorder()));
    Tid t2 = commit(c, 2, new Oid(1), t1, Bytes.utf8("two"));
    assertThat(b.awaitConnected(10_000)).isTrue();
    assertThat(b.address()).isEqualTo(second);
    assertThat(seen.events)
        .containsSubsequence(
            "connected",
            "disconnected",
            new InvalidateTransaction(t2, List.of(new Oid(1))),
            "connected");
    assertThat(b.lastTransaction()).isEqualTo(t2);
    assertThat(b.loadCurrent(new Oid(1)).orElseThrow().data()).isEqualTo(Bytes.utf8("two"));
    assertThatThrownBy(() -> ZeoClient.open(List.of(), fast(), seen))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one server address");
  }

  /**
   * The client sees a server's close a moment later. (This caught the server leaving a connection
   * open at close after a commit, now and then: its socket stayed established.)
   */
  private static void awaitDisconnected(ZeoClient c) throws InterruptedException {
    for (int i = 0; i < 3000 && c.isConnected(); i++) {
      Thread.sleep(10);
    }
    assertThat(c.isConnected()).as("the client saw the server close").isFalse();
  }

  @Test
  void aServerBehindTheClientIsRefused() throws Exception {
    ZeoServer s = server(onDisk(0));
    int port = s.address().getPort();
    ZeoClient b = later(ZeoClient.open(s.address(), fast(), new Recorder()));
    commit(b, 1, new Oid(1), Tid.Z64, Bytes.utf8("one"));
    s.close();
    awaitDisconnected(b);
    ServerConfig m = ServerConfig.inMemory();
    ZeoServer empty =
        later(
            server(
                new ServerConfig(
                    m.host(), port, null, "1", m.offer(), false, 100, null, true, m.maxFrame())));
    assertThat(empty.address().getPort()).isEqualTo(port);
    assertThat(b.awaitConnected(2_000)).isFalse();
  }

  @Test
  void readOnlyFallbackAndRefusals() throws Exception {
    ServerConfig m = ServerConfig.inMemory();
    ZeoServer ro =
        later(
            server(
                new ServerConfig(
                    m.host(), 0, null, "1", m.offer(), true, 100, null, true, m.maxFrame())));
    assertThatThrownBy(() -> ZeoClient.open(ro.address(), fast(), new Recorder()))
        .isInstanceOf(ReadOnlyException.class);
    ZeoClient c =
        later(ZeoClient.open(ro.address(), fast().withReadOnly(false, true), new Recorder()));
    assertThat(c.isReadOnly()).isTrue();
    assertThat(c.invoke(LastTransaction::new)).isEqualTo(Tid.Z64);
    assertThatThrownBy(
            () -> ZeoClient.open(ro.address(), fast().withStorage("nosuch"), new Recorder()))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("nosuch");
  }

  @Test
  void noServerMeansATimeoutNamingTheAddress() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    InetSocketAddress nowhere = new InetSocketAddress("127.0.0.1", port);
    assertThatThrownBy(() ->
            ZeoClient.open(
                nowhere, fast().withTimeouts(Duration.ofMillis(500), null), new Recorder()))
        .isInstanceOf(ClientDisconnectedException.class)
        .hasMessageContaining("timed out waiting for connection to")
        .hasMessageContaining(String.valueOf(port));
  }

  /**
   * A scripted server: answers register and get_info, counts heartbeats, sends an invalidation
   * before the verification finishes, and drops the connection with a call in flight.
   */
  @Test
  void heartbeatsEarlyInvalidationsAndCallsCutOffByADrop() throws Exception {
    AtomicInteger heartbeats = new AtomicInteger();
    CompletableFuture<Void> cut = new CompletableFuture<>();
    try (ServerSocket listener = new ServerSocket(0)) {
      Thread fake =
          Thread.ofPlatform()
              .start(() -> {
                try (Socket s = listener.accept()) {
                  DataInputStream in = new DataInputStream(s.getInputStream());
                  DataOutputStream out = new DataOutputStream(s.getOutputStream());
                  MessageCodec codec = new MessageCodec(Encoding.PICKLE, Role.SERVER);
                  write(out, Handshake.offer(Encoding.PICKLE));
                  read(in); // the client's Z5
                  Tid last = new Tid(100);
                  for (; ; ) {
                    byte[] f = read(in);
                    Message m = codec.decode(f, 0, f.length);
                    switch (m) {
                      case Register r -> {
                        // an invalidation older than the registered tid and a newer one
                        write(
                            out,
                            codec.encodeToArray(
                                new InvalidateTransaction(new Tid(90), List.of(new Oid(9)))));
                        write(
                            out,
                            codec.encodeToArray(
                                new InvalidateTransaction(new Tid(101), List.of(new Oid(5)))));
                        write(out, codec.encodeToArray(r.reply(java.util.Optional.of(last))));
                      }
                      case GetInfo r ->
                          write(
                              out, codec.encodeToArray(r.reply(Map.of("interfaces", Tuple.of()))));
                      case Heartbeat h -> heartbeats.incrementAndGet();
                      case Ping p -> {
                        cut.get(); // leave it unanswered, then drop the connection
                        return;
                      }
                      default -> {}
                    }
                  }
                } catch (Exception e) {
                  // done
                }
              });
      Recorder seen = new Recorder();
      ZeoClient c =
          later(
              ZeoClient.open(
                  (InetSocketAddress) listener.getLocalSocketAddress(),
                  fast().withHeartbeat(Duration.ofMillis(100)),
                  seen));
      Thread.sleep(500);
      assertThat(heartbeats.get()).isGreaterThanOrEqualTo(2);
      assertThat(seen.events)
          .contains(new InvalidateTransaction(new Tid(101), List.of(new Oid(5))))
          .doesNotContain(new InvalidateTransaction(new Tid(90), List.of(new Oid(9))));
      assertThat(c.lastTransaction()).isEqualTo(new Tid(101));
      CompletableFuture<Void> ping = c.call(Ping::new);
      cut.complete(null);
      fake.join();
      assertThatThrownBy(ping::join).hasCauseInstanceOf(ClientDisconnectedException.class);
    }
  }

  private static byte[] read(DataInputStream in) throws java.io.IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return b;
  }

  private static void write(DataOutputStream out, byte[] payload) throws java.io.IOException {
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }
}
