package io.wsproxy.bench;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Server side of one echo connection: handshake, then every data frame is echoed back unmasked
 * with the same FIN/opcode (so fragmentation is mirrored), ping gets pong, close gets close.
 * Confined to one {@link EchoServer} worker thread.
 */
final class EchoConnection {
  /** Stop reading while this much echo output is still unsent (backpressure). */
  private static final int OUT_HIGH_WATER = 1 << 20;

  private final SocketChannel channel;
  private final SelectionKey key;
  private final FrameCodec.Header header = new FrameCodec.Header();
  private ByteBuffer in = ByteBuffer.allocate(2048);
  private ByteBuffer out = ByteBuffer.allocate(2048);
  private boolean upgraded;
  private boolean closeAfterFlush;

  EchoConnection(SocketChannel channel, SelectionKey key) {
    this.channel = channel;
    this.key = key;
  }

  void handle() {
    try {
      if (key.isWritable()) {
        flush();
      }
      if (key.isValid() && key.isReadable()) {
        onReadable();
      }
    } catch (IOException | RuntimeException e) {
      close();
    }
  }

  private void onReadable() throws IOException {
    int n = channel.read(in);
    if (n < 0) {
      close();
      return;
    }
    in.flip();
    int needed = 0;
    if (!upgraded) {
      needed = handshake();
    }
    if (upgraded && !closeAfterFlush) {
      needed = echoFrames();
    }
    in.compact();
    if (needed > in.capacity() || !in.hasRemaining()) {
      in = FrameCodec.ensureRoom(in, Math.max(needed - in.position(), in.capacity()));
    }
    flush();
  }

  /** Returns bytes needed for a complete head when incomplete, else 0. */
  private int handshake() throws IOException {
    int len = Handshake.headLength(in);
    if (len < 0) {
      if (in.remaining() > Handshake.MAX_HEAD) {
        throw new ProtocolException("request head too large");
      }
      return in.remaining() + 1;
    }
    String head = Handshake.takeHead(in, len);
    String wsKey = Handshake.header(head, "Sec-WebSocket-Key");
    String upgrade = Handshake.header(head, "Upgrade");
    if (wsKey == null || upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      // Plain HTTP (e.g. a health check): answer and hang up.
      putOut("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
          .getBytes(StandardCharsets.US_ASCII));
      closeAfterFlush = true;
      return 0;
    }
    putOut(Handshake.response(wsKey));
    upgraded = true;
    return 0;
  }

  /** Echoes all complete frames; returns the size of an incomplete frame (0 if none pending). */
  private int echoFrames() throws IOException {
    while (FrameCodec.parseHeader(in, header)) {
      if (!header.masked) {
        throw new ProtocolException("client frames must be masked");
      }
      if (in.remaining() < header.frameLength()) {
        return header.frameLength();
      }
      in.position(in.position() + header.headerLength);
      int len = header.payloadLength;
      switch (header.opcode) {
        case FrameCodec.OP_CONTINUATION, FrameCodec.OP_TEXT, FrameCodec.OP_BINARY ->
            echo(header.fin, header.opcode, len);
        case FrameCodec.OP_PING -> echo(true, FrameCodec.OP_PONG, len);
        case FrameCodec.OP_PONG -> in.position(in.position() + len);
        case FrameCodec.OP_CLOSE -> {
          echo(true, FrameCodec.OP_CLOSE, len);
          closeAfterFlush = true;
          in.position(in.limit());
          return 0;
        }
        default -> throw new ProtocolException("unknown opcode " + header.opcode);
      }
    }
    return 0;
  }

  private void echo(boolean fin, int opcode, int len) {
    out = FrameCodec.ensureRoom(out, len + FrameCodec.MAX_HEADER);
    FrameCodec.writeHeader(out, fin, opcode, len, false, 0);
    FrameCodec.copyMasked(in, len, out, header.maskKey);
  }

  private void putOut(byte[] bytes) {
    out = FrameCodec.ensureRoom(out, bytes.length);
    out.put(bytes);
  }

  private void flush() throws IOException {
    if (out.position() > 0) {
      out.flip();
      channel.write(out);
      out.compact();
    }
    int pending = out.position();
    if (pending == 0 && closeAfterFlush) {
      close();
      return;
    }
    int ops = pending > 0 ? SelectionKey.OP_WRITE : 0;
    if (pending < OUT_HIGH_WATER && !closeAfterFlush) {
      ops |= SelectionKey.OP_READ;
    }
    if (key.interestOps() != ops) {
      key.interestOps(ops);
    }
  }

  void close() {
    key.cancel();
    try {
      channel.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}
