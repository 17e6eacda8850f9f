package io.wstunnel.srv.ws;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Incremental RFC 6455 decoder for frames a client sends (masked). Bytes are fed in any split;
 * each complete message is handed to the {@link Sink} in a fresh heap buffer the sink may keep.
 * Memory per connection is bounded by {@code maxMessage} plus a 14-byte header: a fragmented
 * message is assembled in one buffer that never grows past {@code maxMessage}, each continuation's
 * payload is unmasked straight into it, and an empty fragment costs nothing however many arrive.
 * Single-threaded: one owner (the connection's IO thread) feeds it.
 */
public final class WsFrameDecoder {

    /** Receives decoded messages and control frames. */
    public interface Sink {
        void onBinary(ByteBuffer message);

        void onText(ByteBuffer message);

        void onPing(byte[] payload);

        void onPong(byte[] payload);

        /** @param code the status code, or {@link WsFrames#NO_STATUS} when the close frame carried none */
        void onClose(int code, String reason);
    }

    private final int maxMessage;
    private final Sink sink;

    private final byte[] header = new byte[14];
    private int headerFill;
    private int headerNeed = 2;

    private boolean fin;
    private int opcode;
    private int mask;
    /** The current frame's payload goes to {@code target[targetStart, targetStart + payloadLength)}; null while reading a header. */
    private byte[] target;
    private int targetStart;
    private int payloadLength;
    private int payloadFill;

    /**
     * The message whose first frame had FIN clear, its {@code fragmentedSize} bytes so far at the
     * start; null when none is in progress. Its capacity never exceeds {@code maxMessage}.
     */
    private byte[] fragmented;
    private int fragmentedOpcode;
    private int fragmentedSize;

    /** @param maxMessage largest message (all fragments together) accepted; larger ones fail with 1009 */
    public WsFrameDecoder(int maxMessage, Sink sink) {
        this.maxMessage = maxMessage;
        this.sink = sink;
    }

    /** Consumes every byte of {@code in}, calling the sink for each message completed. */
    public void feed(ByteBuffer in) {
        while (in.hasRemaining()) {
            if (target == null) {
                int n = Math.min(in.remaining(), headerNeed - headerFill);
                in.get(header, headerFill, n);
                headerFill += n;
                if (headerFill == headerNeed && parseHeader()) {
                    startPayload();
                }
            } else {
                int n = Math.min(in.remaining(), payloadLength - payloadFill);
                int at = targetStart + payloadFill;
                in.get(target, at, n);
                WsFrames.unmask(target, at, n, mask, payloadFill);
                payloadFill += n;
                if (payloadFill == payloadLength) {
                    frameDone();
                }
            }
        }
    }

    /** @return true once the whole header (with extended length and mask) is in */
    private boolean parseHeader() {
        if (headerNeed == 2) {
            int b0 = header[0] & 0xFF;
            int b1 = header[1] & 0xFF;
            if ((b0 & 0x70) != 0) {
                throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "reserved bits set without an extension");
            }
            if ((b1 & 0x80) == 0) {
                throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "client frames must be masked");
            }
            int len7 = b1 & 0x7F;
            headerNeed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
            return false;
        }
        fin = (header[0] & 0x80) != 0;
        opcode = header[0] & 0x0F;
        int len7 = header[1] & 0x7F;
        long length;
        int maskAt;
        if (len7 == 126) {
            length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            maskAt = 4;
        } else if (len7 == 127) {
            length = 0;
            for (int i = 2; i < 10; i++) {
                length = (length << 8) | (header[i] & 0xFF);
            }
            if (length < 0) {
                throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "frame length with the high bit set");
            }
            maskAt = 10;
        } else {
            length = len7;
            maskAt = 2;
        }
        mask = ((header[maskAt] & 0xFF) << 24) | ((header[maskAt + 1] & 0xFF) << 16)
                | ((header[maskAt + 2] & 0xFF) << 8) | (header[maskAt + 3] & 0xFF);
        checkFrame(length);
        payloadLength = (int) length;
        payloadFill = 0;
        if (opcode == WsFrames.OP_CONTINUATION) {
            ensureFragmentedCapacity(fragmentedSize + payloadLength);
            target = fragmented;
            targetStart = fragmentedSize;
        } else {
            target = length == 0 ? NO_BYTES : new byte[payloadLength];
            targetStart = 0;
        }
        return true;
    }

    private static final byte[] NO_BYTES = new byte[0];

    /** Grows the fragmented message's buffer to hold {@code size} bytes (at most maxMessage: checked before). */
    private void ensureFragmentedCapacity(int size) {
        if (size > fragmented.length) {
            int grown = (int) Math.min(maxMessage, Math.max(size, 2L * fragmented.length));
            fragmented = Arrays.copyOf(fragmented, grown);
        }
    }

    private void checkFrame(long length) {
        switch (opcode) {
            case WsFrames.OP_CONTINUATION -> {
                if (fragmented == null) {
                    throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "continuation frame without a message");
                }
                if (fragmentedSize + length > maxMessage) {
                    throw tooBig(fragmentedSize + length);
                }
            }
            case WsFrames.OP_TEXT, WsFrames.OP_BINARY -> {
                if (fragmented != null) {
                    throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "new message before the previous one ended");
                }
                if (length > maxMessage) {
                    throw tooBig(length);
                }
            }
            case WsFrames.OP_CLOSE, WsFrames.OP_PING, WsFrames.OP_PONG -> {
                if (!fin || length > 125) {
                    throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "control frame fragmented or over 125 bytes");
                }
                if (opcode == WsFrames.OP_CLOSE && length == 1) {
                    throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "close frame with a one-byte payload");
                }
            }
            default -> throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "unknown opcode " + opcode);
        }
    }

    private WsProtocolException tooBig(long size) {
        return new WsProtocolException(WsFrames.MESSAGE_TOO_BIG, "message of " + size + " bytes exceeds " + maxMessage);
    }

    private void startPayload() {
        if (payloadLength == 0) {
            frameDone();
        }
    }

    private void frameDone() {
        byte[] p = target;
        int op = opcode;
        boolean last = fin;
        target = null;
        headerFill = 0;
        headerNeed = 2;
        switch (op) {
            case WsFrames.OP_PING -> sink.onPing(p);
            case WsFrames.OP_PONG -> sink.onPong(p);
            case WsFrames.OP_CLOSE -> close(p);
            case WsFrames.OP_CONTINUATION -> {
                fragmentedSize += payloadLength; // the payload is already in place
                if (last) {
                    ByteBuffer whole = ByteBuffer.wrap(fragmented, 0, fragmentedSize);
                    int wholeOp = fragmentedOpcode;
                    fragmented = null;
                    fragmentedSize = 0;
                    deliver(wholeOp, whole);
                }
            }
            default -> {
                if (last) {
                    deliver(op, ByteBuffer.wrap(p));
                } else {
                    fragmented = p; // the first fragment's array starts the message (grown as continuations come)
                    fragmentedOpcode = op;
                    fragmentedSize = payloadLength;
                }
            }
        }
    }

    private void deliver(int op, ByteBuffer message) {
        if (op == WsFrames.OP_BINARY) {
            sink.onBinary(message);
        } else {
            sink.onText(message);
        }
    }

    private void close(byte[] p) {
        if (p.length == 0) {
            sink.onClose(WsFrames.NO_STATUS, "");
            return;
        }
        int code = ((p[0] & 0xFF) << 8) | (p[1] & 0xFF);
        if (!WsFrames.validCloseCode(code)) {
            throw new WsProtocolException(WsFrames.PROTOCOL_ERROR, "invalid close code " + code);
        }
        sink.onClose(code, new String(p, 2, p.length - 2, java.nio.charset.StandardCharsets.UTF_8));
    }
}
