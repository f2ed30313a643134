package org.zbig.it.clients;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.zbig.wire.Encoding;
import org.zbig.wire.Handshake;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.NewOids;
import org.zbig.wire.Register;
import org.zbig.wire.Reply;
import org.zbig.wire.RestoreA;
import org.zbig.wire.Role;
import org.zbig.wire.StoreA;
import org.zbig.wire.SyncRequest;
import org.zbig.wire.TpcBegin;
import org.zbig.wire.Vote;
import org.zbig.zodb.Oid;
import org.zbig.zodb.Tid;
import org.zbig.zodb.pickle.Bytes;

/**
 * A client that stops in the middle of a commit: it stores a new object and restores the root,
 * votes (so it holds the locks of both objects: any commit that changes the root waits), prints
 * {@code voted OID} and then waits to be killed.
 *
 * <p>Arguments: HOST:PORT.
 */
public final class HoldCommitLock {
  private HoldCommitLock() {}

  private static DataInputStream in;
  private static DataOutputStream out;
  private static MessageCodec codec;

  private static byte[] read() throws java.io.IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return b;
  }

  private static void write(byte[] payload) throws java.io.IOException {
    out.write(ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array());
    out.flush();
  }

  private static <R> R call(SyncRequest<R> r) throws java.io.IOException {
    write(codec.encodeToArray(r));
    for (; ; ) {
      byte[] f = read();
      Message m = codec.decode(f, 0, f.length);
      if (m instanceof Reply reply && reply.msgid().equals(r.msgid())) {
        return r.decodeResult(reply.value());
      }
    }
  }

  /** Runs the client. */
  public static void main(String[] args) throws Exception {
    try (Socket s =
        new Socket(Clients.address(args[0]).getAddress(), Clients.address(args[0]).getPort())) {
      in = new DataInputStream(s.getInputStream());
      out = new DataOutputStream(s.getOutputStream());
      Encoding e = Handshake.clientChooses(read());
      write(Handshake.answer(e));
      codec = new MessageCodec(e, Role.CLIENT);
      call(new Register(MsgId.of(1), "1", false));
      List<Oid> oids = call(new NewOids(MsgId.of(2), 1));
      Oid oid = oids.getFirst();
      write(codec.encodeToArray(new TpcBegin(1, Bytes.EMPTY, Bytes.EMPTY, Map.of(), null, " ")));
      write(codec.encodeToArray(new StoreA(oid, Tid.Z64, Bytes.utf8("never committed"), 1)));
      // and the root's lock (a restore: no serial to check), which every commit of the root needs
      write(
          codec.encodeToArray(
              new RestoreA(Oid.ROOT, Tid.Z64, Bytes.utf8("never committed"), null, 1)));
      call(new Vote(MsgId.of(3), 1));
      Clients.say("voted " + oid.toHex());
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
