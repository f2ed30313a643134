package org.zbig.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.zbig.wire.Encoding;
import org.zbig.wire.ErrorReply;
import org.zbig.wire.Handshake;
import org.zbig.wire.Message;
import org.zbig.wire.MessageCodec;
import org.zbig.wire.MsgId;
import org.zbig.wire.OneWayRequest;
import org.zbig.wire.Reply;
import org.zbig.wire.Role;
import org.zbig.wire.ServerCall;
import org.zbig.wire.SyncRequest;

/** A blocking ZEO client over a plain socket, speaking through the wire codec: for tests. */
final class TestClient implements AutoCloseable {
  final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  final MessageCodec codec;
  final List<ServerCall> calls = new ArrayList<>();
  private long nextId = 1;

  TestClient(InetSocketAddress address) {
    try {
      socket = new Socket(address.getAddress(), address.getPort());
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
      Encoding e = Handshake.clientChooses(readFrame());
      writeFrame(Handshake.answer(e));
      codec = new MessageCodec(e, Role.CLIENT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long nextId() {
    return nextId++;
  }

  MsgId id() {
    return MsgId.of(nextId++);
  }

  byte[] readFrame() throws IOException {
    int n = in.readInt();
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  void writeFrame(byte[] payload) {
    try {
      byte[] frame = new byte[4 + payload.length];
      java.nio.ByteBuffer.wrap(frame).putInt(payload.length).put(payload);
      out.write(frame);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void send(Message m) {
    writeFrame(new MessageCodec(codec.encoding(), Role.CLIENT).encodeToArray(m));
  }

  void send(OneWayRequest r) {
    send((Message) r);
  }

  /** The next reply or error reply; server calls met on the way are kept in {@link #calls}. */
  Message next() {
    try {
      for (; ; ) {
        byte[] f = readFrame();
        Message m = codec.decode(f, 0, f.length);
        if (m instanceof ServerCall c) {
          calls.add(c);
        } else {
          return m;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Calls and waits: the result, or the error reply's exception thrown. */
  <R> R call(SyncRequest<R> r) {
    send(r);
    Message m = next();
    return switch (m) {
      case Reply reply when reply.msgid().equals(r.msgid()) -> r.decodeResult(reply.value());
      case ErrorReply e when e.msgid().equals(r.msgid()) -> throw e.toException();
      default -> throw new AssertionError("unexpected " + m + " for " + r);
    };
  }

  /** Whether the server closed the connection (reads end). */
  boolean closedByServer() {
    try {
      socket.setSoTimeout(5_000);
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
