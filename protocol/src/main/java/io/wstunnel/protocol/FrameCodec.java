package io.wstunnel.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Encodes and decodes wstunnel.v2 frames. Pure functions over byte buffers: no I/O, no state.
 *
 * <pre>
 * frame   = type:u8 flags:u8 stream:u32 payload
 * string  = length:u16 bytes (UTF-8)
 * headers = count:u16 (name:string value:string)*
 * </pre>
 * All integers are big-endian. Decoding fails only with {@link ProtocolException}; encoding a frame
 * that the decoder would reject (wrong stream id, empty method or header name, status out of range,
 * non-positive increment, ...) fails with {@link IllegalArgumentException}, so a peer never puts an
 * invalid frame on the wire.
 */
public final class FrameCodec {
    public static final int HEADER_SIZE = 6;
    public static final int FLAG_END_STREAM = 0x1;
    /** On REPLY only, toward a peer that announced REPLY_BODY: the payload ends with body bytes. */
    public static final int FLAG_BODY = 0x2;
    /** Stream ids are 31-bit: the top bit is reserved and must be zero. */
    public static final int MAX_STREAM_ID = Integer.MAX_VALUE;
    /** Largest payload of a HELLO, WINDOW_UPDATE, RESET or GOAWAY frame. */
    public static final int MAX_CONTROL_PAYLOAD = 4096;
    /** The encoder cuts RESET and GOAWAY reasons to this many UTF-8 bytes (on a character boundary). */
    public static final int MAX_REASON_BYTES = 1024;
    /** Largest string (and header count) a 16-bit length can express. */
    public static final int MAX_STRING = 0xFFFF;

    private FrameCodec() {
    }

    // ---------------------------------------------------------------- encoding

    /** @return a new buffer, positioned at 0, holding exactly one frame */
    public static ByteBuffer encode(Frame frame) {
        if (frame instanceof Frame.Data d) {
            return encodeData(d.streamId(), d.payload().duplicate(), d.endStream());
        }
        if (frame instanceof Frame.WindowUpdate w) {
            if (w.increment() <= 0) {
                throw new IllegalArgumentException("WINDOW_UPDATE increment must be 1.." + Integer.MAX_VALUE + ": " + w.increment());
            }
            ByteBuffer b = header(FrameType.WINDOW_UPDATE, 0, w.streamId(), 4);
            b.putInt(w.increment());
            return b.flip();
        }
        if (frame instanceof Frame.Open o) {
            RequestHead r = o.head();
            if (r.method().isEmpty()) {
                throw new IllegalArgumentException("empty method");
            }
            byte[][] strings = {utf8(r.method()), utf8(r.target()), utf8(r.authority()), utf8(r.scheme())};
            byte[][] hs = headerBytes(r.headers());
            ByteBuffer b = header(FrameType.OPEN, flags(o.endStream()), o.streamId(), payloadSize(1L + size(strings) + 2 + size(hs)));
            b.put((byte) o.kind().code());
            for (byte[] s : strings) {
                putString(b, s);
            }
            putHeaders(b, hs);
            return b.flip();
        }
        if (frame instanceof Frame.Reply r) {
            int status = r.head().status();
            if (status < 100 || status > 999) {
                throw new IllegalArgumentException("status out of range 100..999: " + status);
            }
            byte[] reason = utf8(r.head().reason());
            byte[][] hs = headerBytes(r.head().headers());
            ByteBuffer body = r.body().duplicate();
            int flags = flags(r.endStream()) | (body.hasRemaining() ? FLAG_BODY : 0);
            ByteBuffer b = header(FrameType.REPLY, flags, r.streamId(),
                    payloadSize(2L + 2 + reason.length + 2 + size(hs) + body.remaining()));
            b.putShort((short) status);
            putString(b, reason);
            putHeaders(b, hs);
            b.put(body);
            return b.flip();
        }
        if (frame instanceof Frame.Reset r) {
            byte[] reason = reasonBytes(r.reason());
            ByteBuffer b = header(FrameType.RESET, 0, r.streamId(), 4 + reason.length);
            b.putInt(r.code().code());
            b.put(reason);
            return b.flip();
        }
        if (frame instanceof Frame.GoAway g) {
            if (g.lastStreamId() < 0) {
                throw new IllegalArgumentException("GOAWAY last stream id out of range: " + g.lastStreamId());
            }
            byte[] reason = reasonBytes(g.reason());
            ByteBuffer b = header(FrameType.GOAWAY, 0, 0, 8 + reason.length);
            b.putInt(g.lastStreamId());
            b.putInt(g.code().code());
            b.put(reason);
            return b.flip();
        }
        Frame.Hello h = (Frame.Hello) frame;
        boolean replyBody = h.settings().replyBody();
        ByteBuffer b = header(FrameType.HELLO, 0, 0, (replyBody ? 5 : 4) * 6);
        setting(b, Settings.ID_INITIAL_WINDOW, h.settings().initialWindow());
        setting(b, Settings.ID_MAX_CONCURRENT_STREAMS, h.settings().maxConcurrentStreams());
        setting(b, Settings.ID_MAX_FRAME_PAYLOAD, h.settings().maxFramePayload());
        setting(b, Settings.ID_MAX_HEAD_SIZE, h.settings().maxHeadSize());
        if (replyBody) {
            setting(b, Settings.ID_REPLY_BODY, 1); // absent means 0: older peers see the same four settings
        }
        return b.flip();
    }

    /**
     * Encodes a DATA frame header followed by payload bytes copied from {@code src}. {@code src} is
     * consumed (its position moves to its limit); heap, direct and read-only buffers all work.
     */
    public static ByteBuffer encodeData(int streamId, ByteBuffer src, boolean endStream) {
        ByteBuffer b = header(FrameType.DATA, flags(endStream), streamId, src.remaining());
        b.put(src);
        return b.flip();
    }

    /**
     * A DATA frame built around {@code payload} without copying it: the header is written into the
     * {@link #HEADER_SIZE} bytes just before the payload's position, which the caller reserved for it.
     * The returned buffer shares {@code payload}'s bytes; {@code payload} is left fully consumed.
     */
    public static ByteBuffer encodeDataInPlace(int streamId, ByteBuffer payload, boolean endStream) {
        if (payload.position() < HEADER_SIZE || payload.isReadOnly()) {
            throw new IllegalArgumentException("no room for the frame header before the payload");
        }
        if (streamId <= 0) {
            throw new IllegalArgumentException("DATA must not use stream 0: " + streamId);
        }
        int start = payload.position() - HEADER_SIZE;
        ByteBuffer frame = payload.duplicate().position(start);
        frame.put((byte) FrameType.DATA.code()).put((byte) flags(endStream)).putInt(streamId);
        frame.position(start);
        payload.position(payload.limit());
        return frame;
    }

    private static ByteBuffer header(FrameType type, int flags, int streamId, int payloadSize) {
        if (streamId < 0) {
            throw new IllegalArgumentException("stream id out of range: " + streamId);
        }
        boolean connectionFrame = type == FrameType.HELLO || type == FrameType.GOAWAY;
        if (connectionFrame != (streamId == 0)) {
            throw new IllegalArgumentException(type + (connectionFrame ? " must use stream 0" : " must not use stream 0"));
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payloadSize);
        b.put((byte) type.code());
        b.put((byte) flags);
        b.putInt(streamId);
        return b;
    }

    private static int flags(boolean endStream) {
        return endStream ? FLAG_END_STREAM : 0;
    }

    private static void setting(ByteBuffer b, int id, int value) {
        b.putShort((short) id);
        b.putInt(value);
    }

    private static byte[] utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING) {
            throw new IllegalArgumentException("string longer than " + MAX_STRING + " bytes");
        }
        return bytes;
    }

    private static int payloadSize(long size) {
        if (size > Settings.MAX_FRAME_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + size + " bytes exceeds any peer's limit");
        }
        return (int) size;
    }

    /** UTF-8 of the reason, cut to MAX_REASON_BYTES without splitting a character. */
    private static byte[] reasonBytes(String reason) {
        if (reason == null || reason.isEmpty()) {
            return new byte[0];
        }
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_REASON_BYTES) {
            return b;
        }
        int n = MAX_REASON_BYTES;
        while (n > 0 && (b[n] & 0xC0) == 0x80) {
            n--; // b[n] is the first byte dropped: back off to the start of its character
        }
        return Arrays.copyOf(b, n);
    }

    private static byte[][] headerBytes(Headers headers) {
        if (headers.size() > MAX_STRING) {
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

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes one whole frame (one WebSocket message). The buffer is consumed (its position moves to
     * its limit, also when decoding fails); a DATA payload is a read-only view of it, so the caller
     * must not reuse the buffer while the frame is alive. Heap, direct and read-only buffers are all
     * accepted, and the buffer's own {@link java.nio.ByteOrder} is ignored: the wire is big-endian.
     *
     * @param limits this peer's own receive limits (what it announced in HELLO)
     * @throws ProtocolException for any malformed frame; {@link ProtocolException#streamLevel()} tells
     *         whether only that stream is to be reset (unknown stream kind, empty method, status out
     *         of range) or the whole connection is to be closed
     */
    public static Frame decode(ByteBuffer message, Settings limits) {
        Objects.requireNonNull(limits, "limits");
        ByteBuffer m = message.slice(); // position 0, BIG_ENDIAN whatever the caller's order
        message.position(message.limit());
        if (m.remaining() < HEADER_SIZE) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "frame shorter than its " + HEADER_SIZE + "-byte header: " + m.remaining() + " bytes");
        }
        int typeCode = m.get() & 0xFF;
        int flags = m.get() & 0xFF;
        int streamId = m.getInt();
        FrameType type = FrameType.fromCode(typeCode);
        if (type == null) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "unknown frame type 0x" + Integer.toHexString(typeCode));
        }
        if (streamId < 0) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "stream id has the reserved bit set");
        }
        boolean connectionFrame = type == FrameType.HELLO || type == FrameType.GOAWAY;
        if (connectionFrame != (streamId == 0)) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    type + (connectionFrame ? " must use stream 0" : " must not use stream 0"));
        }
        if ((flags & FLAG_BODY) != 0 && type == FrameType.REPLY && !limits.replyBody()) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "REPLY with the BODY flag, but REPLY_BODY was not announced");
        }
        int known = type == FrameType.REPLY ? FLAG_END_STREAM | FLAG_BODY : FLAG_END_STREAM;
        if ((flags & ~known) != 0 || (flags != 0 && !carriesEndStream(type))) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "unknown flags 0x" + Integer.toHexString(flags) + " on " + type);
        }
        boolean end = (flags & FLAG_END_STREAM) != 0;
        ByteBuffer p = m.slice();
        int len = p.remaining();
        switch (type) {
            case OPEN, REPLY -> {
                if (len > limits.maxHeadSize()) {
                    throw ProtocolException.connection(ErrorCode.FRAME_TOO_LARGE,
                            type + " head of " + len + " bytes exceeds " + limits.maxHeadSize());
                }
            }
            case DATA -> {
                if (len > limits.maxFramePayload()) {
                    throw ProtocolException.connection(ErrorCode.FRAME_TOO_LARGE,
                            "DATA payload of " + len + " bytes exceeds " + limits.maxFramePayload());
                }
            }
            default -> {
                if (len > MAX_CONTROL_PAYLOAD) {
                    throw ProtocolException.connection(ErrorCode.FRAME_TOO_LARGE,
                            type + " payload of " + len + " bytes exceeds " + MAX_CONTROL_PAYLOAD);
                }
            }
        }
        if (type == FrameType.DATA) {
            return new Frame.Data(streamId, p.asReadOnlyBuffer(), end);
        }
        Frame f;
        try {
            f = switch (type) {
                case HELLO -> new Frame.Hello(decodeSettings(p));
                case OPEN -> decodeOpen(p, streamId, end);
                case REPLY -> decodeReply(p, streamId, end, (flags & FLAG_BODY) != 0);
                case WINDOW_UPDATE -> {
                    int inc = p.getInt();
                    if (inc <= 0) {
                        throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                                "WINDOW_UPDATE increment must be 1.." + Integer.MAX_VALUE);
                    }
                    yield new Frame.WindowUpdate(streamId, inc);
                }
                case RESET -> new Frame.Reset(streamId, ErrorCode.fromCode(p.getInt()), rest(p));
                case GOAWAY -> {
                    int last = p.getInt();
                    if (last < 0) {
                        throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "GOAWAY last stream id has the reserved bit set");
                    }
                    yield new Frame.GoAway(last, ErrorCode.fromCode(p.getInt()), rest(p));
                }
                default -> throw new AssertionError(type);
            };
        } catch (java.nio.BufferUnderflowException e) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "truncated " + type + " frame");
        }
        if (p.hasRemaining()) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    p.remaining() + " trailing bytes after " + type + " frame");
        }
        // Stream-level checks come last: only a frame that is well-formed as a whole may be
        // answered with a stream RESET instead of closing the connection.
        if (f instanceof Frame.Open o && o.head().method().isEmpty()) {
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, streamId, "empty method");
        }
        if (f instanceof Frame.Reply r && (r.head().status() < 100 || r.head().status() > 999)) {
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, streamId, "status " + r.head().status() + " out of range");
        }
        return f;
    }

    private static boolean carriesEndStream(FrameType t) {
        return t == FrameType.OPEN || t == FrameType.REPLY || t == FrameType.DATA;
    }

    private static Settings decodeSettings(ByteBuffer p) {
        if (p.remaining() % 6 != 0) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "HELLO payload is not a list of 6-byte settings");
        }
        Settings d = Settings.DEFAULT;
        int window = d.initialWindow();
        int streams = d.maxConcurrentStreams();
        int frame = d.maxFramePayload();
        int head = d.maxHeadSize();
        boolean replyBody = d.replyBody();
        while (p.hasRemaining()) {
            int id = p.getShort() & 0xFFFF;
            int value = p.getInt();
            // every occurrence is range-checked, also one that a later repeat would override
            switch (id) {
                case Settings.ID_INITIAL_WINDOW -> window = checkSetting("INITIAL_WINDOW", value, 1, Settings.MAX_WINDOW);
                case Settings.ID_MAX_CONCURRENT_STREAMS -> streams = checkSetting("MAX_CONCURRENT_STREAMS", value, 1, Integer.MAX_VALUE);
                case Settings.ID_MAX_FRAME_PAYLOAD -> frame = checkSetting("MAX_FRAME_PAYLOAD", value,
                        Settings.MIN_FRAME_PAYLOAD, Settings.MAX_FRAME_PAYLOAD);
                case Settings.ID_MAX_HEAD_SIZE -> head = checkSetting("MAX_HEAD_SIZE", value,
                        Settings.MIN_HEAD_SIZE, Settings.MAX_FRAME_PAYLOAD);
                case Settings.ID_REPLY_BODY -> replyBody = checkSetting("REPLY_BODY", value, 0, 1) == 1;
                default -> { /* unknown settings are ignored */ }
            }
        }
        return new Settings(window, streams, frame, head, replyBody);
    }

    private static int checkSetting(String name, int value, int min, int max) {
        if (value < min || value > max) { // values with the top bit set are negative here: out of range
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "setting " + name + " = " + Integer.toUnsignedString(value) + " out of range " + min + ".." + max);
        }
        return value;
    }

    private static Frame decodeOpen(ByteBuffer p, int streamId, boolean end) {
        int kindCode = p.get() & 0xFF;
        StreamKind kind = StreamKind.fromCode(kindCode);
        if (kind == null) {
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, streamId, "unknown stream kind " + kindCode);
        }
        String method = string(p);
        String target = string(p);
        String authority = string(p);
        String scheme = string(p);
        Headers headers = headers(p);
        return new Frame.Open(streamId, kind, new RequestHead(method, target, authority, scheme, headers), end);
    }

    private static Frame decodeReply(ByteBuffer p, int streamId, boolean end, boolean withBody) {
        int status = p.getShort() & 0xFFFF; // range checked by decode() once the whole frame parsed
        String reason = string(p);
        Headers headers = headers(p);
        ByteBuffer body = null;
        if (withBody) {
            body = p.slice().asReadOnlyBuffer(); // the rest of the payload
            p.position(p.limit());
        }
        return new Frame.Reply(streamId, new ResponseHead(status, reason, headers), end, body);
    }

    private static Headers headers(ByteBuffer p) {
        int count = p.getShort() & 0xFFFF;
        // Each header needs at least 4 bytes: a count beyond that is a lie, not an allocation.
        if (count * 4L > p.remaining()) {
            throw new java.nio.BufferUnderflowException();
        }
        List<Header> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = string(p);
            if (name.isEmpty()) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "empty header name");
            }
            list.add(new Header(name, string(p)));
        }
        return new Headers(list);
    }

    private static String string(ByteBuffer p) {
        int len = p.getShort() & 0xFFFF;
        if (len > p.remaining()) {
            throw new java.nio.BufferUnderflowException();
        }
        byte[] b = new byte[len];
        p.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String rest(ByteBuffer p) {
        byte[] b = new byte[p.remaining()];
        p.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
