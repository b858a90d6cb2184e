package io.wsproxy.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Client side of one WebSocket connection (RFC 6455, every frame masked with a fresh random key).
 * Reading happens on its {@link ClientLoop}; {@link #send} and {@link #flush} may also be called
 * from another thread (the latency pacer), so the output path is synchronized.
 */
final class ClientConn {
  /** Callbacks, run on the loop thread. The payload buffer is only valid during the call. */
  interface Listener {
    default void onOpen(ClientConn c) {}

    void onMessage(ClientConn c, int opcode, ByteBuffer payload);

    default void onClosed(ClientConn c, Throwable error) {}
  }

  private enum State { CONNECTING, HANDSHAKE, OPEN, CLOSING, CLOSED }

  final ClientLoop loop;
  final int id;
  private final Target target;
  private final InetAddress bindAddress;
  private final Listener listener;
  private final FrameCodec.Header header = new FrameCodec.Header();
  private SocketChannel channel;
  private SelectionKey key;
  private volatile State state = State.CONNECTING;
  private String wsKey;
  private ByteBuffer in = ByteBuffer.allocate(1024);
  private ByteBuffer out = ByteBuffer.allocate(1024);
  private ByteBuffer fragments;
  private int fragmentOpcode;
  private boolean openedOnce;

  ClientConn(ClientLoop loop, int id, Target target, InetAddress bindAddress, Listener listener) {
    this.loop = loop;
    this.id = id;
    this.target = target;
    this.bindAddress = bindAddress;
    this.listener = listener;
  }

  /** Starts connecting; call on the loop thread (or via {@code loop.execute(conn::connect)}). */
  void connect() {
    try {
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (bindAddress != null) {
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.bind(new InetSocketAddress(bindAddress, 0));
      }
      boolean connected = channel.connect(target.address);
      key = channel.register(loop.selector, connected ? 0 : SelectionKey.OP_CONNECT, this);
      if (connected) {
        onConnected();
      }
    } catch (IOException | RuntimeException e) {
      abort(e);
    }
  }

  boolean isOpen() {
    return state == State.OPEN;
  }

  /** Whether the opening handshake ever completed (stays true after close). */
  boolean isOpenedOnce() {
    return openedOnce;
  }

  void handle(SelectionKey k) {
    try {
      if (k.isConnectable()) {
        channel.finishConnect();
        onConnected();
        return;
      }
      if (k.isWritable()) {
        flush();
      }
      if (k.isValid() && k.isReadable()) {
        onReadable();
      }
    } catch (IOException | RuntimeException e) {
      abort(e); // an EOF while CLOSING too: the peer never answered our close frame (RFC 6455: 1006)
    }
  }

  private void onConnected() throws IOException {
    state = State.HANDSHAKE;
    wsKey = Handshake.newKey();
    byte[] req = Handshake.request(target.hostHeader, target.path, wsKey);
    synchronized (this) {
      out = FrameCodec.ensureRoom(out, req.length);
      out.put(req);
    }
    flush();
  }

  private void onReadable() throws IOException {
    int n = channel.read(in);
    if (n < 0) {
      throw new EOFException("connection closed by peer in state " + state);
    }
    in.flip();
    int needed = 0;
    if (state == State.HANDSHAKE) {
      needed = readHandshake();
    }
    if (state == State.OPEN || state == State.CLOSING) {
      needed = readFrames();
    }
    if (state == State.CLOSED) {
      return;
    }
    in.compact();
    if (needed > in.capacity() || !in.hasRemaining()) {
      in = FrameCodec.ensureRoom(in, Math.max(needed - in.position(), in.capacity()));
    }
    flush();
  }

  private int readHandshake() throws IOException {
    int len = Handshake.headLength(in);
    if (len < 0) {
      if (in.remaining() > Handshake.MAX_HEAD) {
        throw new ProtocolException("response head too large");
      }
      return in.remaining() + 1;
    }
    String head = Handshake.takeHead(in, len);
    if (!head.startsWith("HTTP/1.1 101")) {
      throw new ProtocolException("handshake refused: " + head.lines().findFirst().orElse(""));
    }
    String accept = Handshake.header(head, "Sec-WebSocket-Accept");
    if (!Handshake.accept(wsKey).equals(accept)) {
      throw new ProtocolException("bad Sec-WebSocket-Accept");
    }
    state = State.OPEN;
    openedOnce = true;
    listener.onOpen(this);
    return 0;
  }

  private int readFrames() throws IOException {
    while (state != State.CLOSED && FrameCodec.parseHeader(in, header)) {
      if (header.masked) {
        throw new ProtocolException("server frames must not be masked");
      }
      if (in.remaining() < header.frameLength()) {
        return header.frameLength();
      }
      in.position(in.position() + header.headerLength);
      int len = header.payloadLength;
      ByteBuffer payload = in.slice(in.position(), len);
      in.position(in.position() + len);
      switch (header.opcode) {
        case FrameCodec.OP_TEXT, FrameCodec.OP_BINARY -> {
          if (header.fin) {
            listener.onMessage(this, header.opcode, payload);
          } else {
            fragmentOpcode = header.opcode;
            fragments = ByteBuffer.allocate(Math.max(len * 2, 1024)).put(payload);
          }
        }
        case FrameCodec.OP_CONTINUATION -> {
          if (fragments == null) {
            throw new ProtocolException("continuation without a message");
          }
          fragments = FrameCodec.ensureRoom(fragments, len).put(payload);
          if (header.fin) {
            ByteBuffer whole = fragments.flip();
            fragments = null;
            listener.onMessage(this, fragmentOpcode, whole);
          }
        }
        case FrameCodec.OP_PING -> send(FrameCodec.OP_PONG, payload);
        case FrameCodec.OP_PONG -> { }
        case FrameCodec.OP_CLOSE -> {
          if (state == State.OPEN) {
            send(FrameCodec.OP_CLOSE, payload);
            flush();
          }
          abort(null);
        }
        default -> throw new ProtocolException("unknown opcode " + header.opcode);
      }
    }
    return 0;
  }

  /** Queues one masked frame (payload is read from its position to its limit, not consumed). */
  synchronized void send(int opcode, ByteBuffer payload) {
    int len = payload.remaining();
    out = FrameCodec.ensureRoom(out, len + FrameCodec.MAX_HEADER);
    int maskKey = ThreadLocalRandom.current().nextInt();
    FrameCodec.writeHeader(out, true, opcode, len, true, maskKey);
    FrameCodec.copyMasked(payload.duplicate(), len, out, maskKey);
  }

  /** Writes queued bytes; leftover output arms OP_WRITE. Safe from any thread. */
  synchronized void flush() throws IOException {
    if (state == State.CLOSED || key == null) {
      return;
    }
    if (out.position() > 0) {
      out.flip();
      channel.write(out);
      out.compact();
    }
    int ops = state == State.CONNECTING ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ;
    if (out.position() > 0) {
      ops |= SelectionKey.OP_WRITE;
    }
    if (key.interestOps() != ops) {
      key.interestOps(ops);
      if ((ops & SelectionKey.OP_WRITE) != 0) {
        loop.selector.wakeup(); // the caller may be the pacer thread; rare, so always wake
      }
    }
  }

  /** Starts the closing handshake (status 1000); {@link Listener#onClosed} follows. Loop thread only. */
  void close() {
    if (state != State.OPEN) {
      abort(null);
      return;
    }
    state = State.CLOSING;
    send(FrameCodec.OP_CLOSE, ByteBuffer.wrap(new byte[] {0x03, (byte) 0xE8}));
    try {
      flush();
    } catch (IOException e) {
      abort(e);
    }
  }

  /** Closes the socket now and reports {@code error} (null = clean close). Idempotent. */
  void abort(Throwable error) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    if (key != null) {
      key.cancel();
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // already closed
    }
    listener.onClosed(this, error);
  }
}
