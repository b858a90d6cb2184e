package io.wsproxy.bench;

import java.net.ProtocolException;
import java.nio.ByteBuffer;

/** RFC 6455 frame headers and payload (un)masking on big-endian ByteBuffers. */
final class FrameCodec {
  static final int OP_CONTINUATION = 0x0;
  static final int OP_TEXT = 0x1;
  static final int OP_BINARY = 0x2;
  static final int OP_CLOSE = 0x8;
  static final int OP_PING = 0x9;
  static final int OP_PONG = 0xA;
  static final int MAX_HEADER = 14;
  /** Refuse frames larger than this; the benchmark never sends more than a few hundred KiB. */
  static final long MAX_PAYLOAD = 64L << 20;

  private FrameCodec() {}

  /** A parsed frame header; reused to avoid garbage. */
  static final class Header {
    boolean fin;
    int opcode;
    boolean masked;
    int maskKey;
    int payloadLength;
    int headerLength;

    int frameLength() {
      return headerLength + payloadLength;
    }
  }

  /**
   * Parses the header at {@code in.position()} without consuming anything.
   *
   * @return false when the header is not complete yet
   */
  static boolean parseHeader(ByteBuffer in, Header h) throws ProtocolException {
    int p = in.position();
    int avail = in.limit() - p;
    if (avail < 2) {
      return false;
    }
    int b0 = in.get(p) & 0xff;
    int b1 = in.get(p + 1) & 0xff;
    if ((b0 & 0x70) != 0) {
      throw new ProtocolException("RSV bits set without a negotiated extension");
    }
    h.fin = (b0 & 0x80) != 0;
    h.opcode = b0 & 0x0f;
    h.masked = (b1 & 0x80) != 0;
    int len7 = b1 & 0x7f;
    int hl = 2;
    long len;
    if (len7 == 126) {
      if (avail < 4) {
        return false;
      }
      len = in.getShort(p + 2) & 0xffff;
      hl = 4;
    } else if (len7 == 127) {
      if (avail < 10) {
        return false;
      }
      len = in.getLong(p + 2);
      hl = 10;
    } else {
      len = len7;
    }
    if (len < 0 || len > MAX_PAYLOAD) {
      throw new ProtocolException("frame too large: " + len);
    }
    if (h.masked) {
      if (avail < hl + 4) {
        return false;
      }
      h.maskKey = in.getInt(p + hl);
      hl += 4;
    } else {
      h.maskKey = 0;
    }
    if (h.opcode >= OP_CLOSE && (len > 125 || !h.fin)) {
      throw new ProtocolException("invalid control frame");
    }
    h.headerLength = hl;
    h.payloadLength = (int) len;
    return true;
  }

  /** Writes a frame header; {@code masked} frames get {@code maskKey} appended. */
  static void writeHeader(ByteBuffer out, boolean fin, int opcode, int len, boolean masked, int maskKey) {
    out.put((byte) ((fin ? 0x80 : 0) | opcode));
    int maskBit = masked ? 0x80 : 0;
    if (len < 126) {
      out.put((byte) (maskBit | len));
    } else if (len <= 0xffff) {
      out.put((byte) (maskBit | 126));
      out.putShort((short) len);
    } else {
      out.put((byte) (maskBit | 127));
      out.putLong(len);
    }
    if (masked) {
      out.putInt(maskKey);
    }
  }

  /**
   * Copies {@code len} bytes from src to dst (advancing both), XOR-ing with the 4-byte mask key.
   * Masking and unmasking are the same operation; key 0 is a plain copy.
   */
  static void copyMasked(ByteBuffer src, int len, ByteBuffer dst, int maskKey) {
    int sp = src.position();
    int dp = dst.position();
    if (maskKey == 0) {
      dst.put(src.slice(sp, len));
      src.position(sp + len);
      return;
    }
    long m = ((long) maskKey << 32) | (maskKey & 0xffffffffL);
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      dst.putLong(dp + i, src.getLong(sp + i) ^ m);
    }
    for (; i < len; i++) {
      dst.put(dp + i, (byte) (src.get(sp + i) ^ (maskKey >>> (24 - 8 * (i & 3)))));
    }
    src.position(sp + len);
    dst.position(dp + len);
  }

  /** Returns a buffer holding {@code buf}'s unread content with room for at least {@code extra} more bytes. */
  static ByteBuffer ensureRoom(ByteBuffer buf, int extra) {
    if (buf.remaining() >= extra) {
      return buf;
    }
    int need = buf.position() + extra;
    int cap = Math.max(buf.capacity() * 2, Integer.highestOneBit(need - 1) << 1);
    ByteBuffer bigger = buf.isDirect() ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap);
    buf.flip();
    bigger.put(buf);
    return bigger;
  }
}
