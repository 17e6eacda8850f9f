package io.wstunnel.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encoders of the frames other than DATA, one per type. Each validates what the decoder would
 * reject and throws {@link IllegalArgumentException}, so no invalid frame reaches the wire; each
 * returns a new buffer, positioned at 0, holding exactly one frame.
 */
final class PayloadEncoder {
    private PayloadEncoder() {
    }

    static ByteBuffer windowUpdate(Frame.WindowUpdate w) {
        if (w.increment() <= 0) {
            throw new IllegalArgumentException("WINDOW_UPDATE increment must be 1.." + Integer.MAX_VALUE + ": " + w.increment());
        }
        ByteBuffer b = FrameCodec.header(FrameType.WINDOW_UPDATE, 0, w.streamId(), 4);
        b.putInt(w.increment());
        return b.flip();
    }

    static ByteBuffer open(Frame.Open o) {
        RequestHead r = o.head();
        if (r.method().isEmpty()) {
            throw new IllegalArgumentException("empty method");
        }
        byte[][] strings = {utf8(r.method()), utf8(r.target()), utf8(r.authority()), utf8(r.scheme())};
        byte[][] hs = headerBytes(r.headers());
        ByteBuffer b = FrameCodec.header(FrameType.OPEN, FrameCodec.flags(o.endStream()), o.streamId(),
                payloadSize(1L + size(strings) + 2 + size(hs)));
        b.put((byte) o.kind().code());
        for (byte[] s : strings) {
            putString(b, s);
        }
        putHeaders(b, hs);
        return b.flip();
    }

    /** A non-empty body is appended and flagged {@link FrameCodec#FLAG_BODY}. */
    static ByteBuffer reply(Frame.Reply r) {
        int status = r.head().status();
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("status out of range 100..999: " + status);
        }
        byte[] reason = utf8(r.head().reason());
        byte[][] hs = headerBytes(r.head().headers());
        ByteBuffer body = r.body().duplicate();
        int flags = FrameCodec.flags(r.endStream()) | (body.hasRemaining() ? FrameCodec.FLAG_BODY : 0);
        ByteBuffer b = FrameCodec.header(FrameType.REPLY, flags, r.streamId(),
                payloadSize(2L + 2 + reason.length + 2 + size(hs) + body.remaining()));
        b.putShort((short) status);
        putString(b, reason);
        putHeaders(b, hs);
        b.put(body);
        return b.flip();
    }

    static ByteBuffer reset(Frame.Reset r) {
        byte[] reason = reasonBytes(r.reason());
        ByteBuffer b = FrameCodec.header(FrameType.RESET, 0, r.streamId(), 4 + reason.length);
        b.putInt(r.code().code());
        b.put(reason);
        return b.flip();
    }

    static ByteBuffer goAway(Frame.GoAway g) {
        if (g.lastStreamId() < 0) {
            throw new IllegalArgumentException("GOAWAY last stream id out of range: " + g.lastStreamId());
        }
        byte[] reason = reasonBytes(g.reason());
        ByteBuffer b = FrameCodec.header(FrameType.GOAWAY, 0, 0, 8 + reason.length);
        b.putInt(g.lastStreamId());
        b.putInt(g.code().code());
        b.put(reason);
        return b.flip();
    }

    static ByteBuffer hello(Frame.Hello h) {
        boolean replyBody = h.settings().replyBody();
        ByteBuffer b = FrameCodec.header(FrameType.HELLO, 0, 0, (replyBody ? 5 : 4) * 6);
        setting(b, Settings.ID_INITIAL_WINDOW, h.settings().initialWindow());
        setting(b, Settings.ID_MAX_CONCURRENT_STREAMS, h.settings().maxConcurrentStreams());
        setting(b, Settings.ID_MAX_FRAME_PAYLOAD, h.settings().maxFramePayload());
        setting(b, Settings.ID_MAX_HEAD_SIZE, h.settings().maxHeadSize());
        if (replyBody) {
            setting(b, Settings.ID_REPLY_BODY, 1); // absent means 0: older peers see the same four settings
        }
        return b.flip();
    }

    private static void setting(ByteBuffer b, int id, int value) {
        b.putShort((short) id);
        b.putInt(value);
    }

    private static byte[] utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > FrameCodec.MAX_STRING) {
            throw new IllegalArgumentException("string longer than " + FrameCodec.MAX_STRING + " bytes");
        }
        return bytes;
    }

    private static int payloadSize(long size) {
        if (size > Settings.MAX_FRAME_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + size + " bytes exceeds any peer's limit");
        }
        return (int) size;
    }

    /** UTF-8 of the reason, cut to {@link FrameCodec#MAX_REASON_BYTES} without splitting a character. */
    private static byte[] reasonBytes(String reason) {
        if (reason == null || reason.isEmpty()) {
            return new byte[0];
        }
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= FrameCodec.MAX_REASON_BYTES) {
            return b;
        }
        int n = FrameCodec.MAX_REASON_BYTES;
        while (n > 0 && (b[n] & 0xC0) == 0x80) {
            n--; // b[n] is the first byte dropped: back off to the start of its character
        }
        return Arrays.copyOf(b, n);
    }

    private static byte[][] headerBytes(Headers headers) {
        if (headers.size() > FrameCodec.MAX_STRING) {
            throw new IllegalArgumentException("too many headers");
        }
        byte[][] out = new byte[headers.size() * 2][];
        int i = 0;
        for (Header h : headers.fields()) {
            if (h.name().isEmpty()) {
                throw new IllegalArgumentException("empty header name");
            }
            out[i++] = utf8(h.name());
            out[i++] = utf8(h.value());
        }
        return out;
    }

    private static int size(byte[][] strings) {
        int n = 0;
        for (byte[] s : strings) {
            n += 2 + s.length;
        }
        return n;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putShort((short) s.length);
        b.put(s);
    }

    private static void putHeaders(ByteBuffer b, byte[][] hs) {
        b.putShort((short) (hs.length / 2));
        for (byte[] s : hs) {
            putString(b, s);
        }
    }
}
