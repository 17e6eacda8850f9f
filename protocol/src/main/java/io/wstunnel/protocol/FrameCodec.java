package io.wstunnel.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes wstunnel.v2 frames. Pure functions over byte buffers: no I/O, no state.
 *
 * <pre>
 * frame   = type:u8 flags:u8 stream:u32 payload
 * string  = length:u16 bytes (UTF-8)
 * headers = count:u16 (name:string value:string)*
 * </pre>
 * All integers are big-endian. Decoding fails only with {@link ProtocolException}.
 */
public final class FrameCodec {
    public static final int HEADER_SIZE = 6;
    public static final int FLAG_END_STREAM = 0x1;
    /** Stream ids are 31-bit: the top bit is reserved and must be zero. */
    public static final int MAX_STREAM_ID = Integer.MAX_VALUE;
    private static final int MAX_STRING = 0xFFFF;

    private FrameCodec() {
    }

    // ---------------------------------------------------------------- encoding

    /** @return a new buffer, positioned at 0, holding exactly one frame */
    public static ByteBuffer encode(Frame frame) {
        if (frame instanceof Frame.Data d) {
            return encodeData(d.streamId(), d.payload().duplicate(), d.endStream());
        }
        if (frame instanceof Frame.WindowUpdate w) {
            ByteBuffer b = header(FrameType.WINDOW_UPDATE, 0, w.streamId(), 4);
            b.putInt(w.increment());
            return b.flip();
        }
        if (frame instanceof Frame.Open o) {
            RequestHead r = o.head();
            byte[][] strings = {utf8(r.method()), utf8(r.target()), utf8(r.authority()), utf8(r.scheme())};
            byte[][] hs = headerBytes(r.headers());
            ByteBuffer b = header(FrameType.OPEN, flags(o.endStream()), o.streamId(), 1 + size(strings) + 2 + size(hs));
            b.put((byte) o.kind().code());
            for (byte[] s : strings) {
                putString(b, s);
            }
            putHeaders(b, hs);
            return b.flip();
        }
        if (frame instanceof Frame.Reply r) {
            byte[] reason = utf8(r.head().reason());
            byte[][] hs = headerBytes(r.head().headers());
            ByteBuffer b = header(FrameType.REPLY, flags(r.endStream()), r.streamId(), 2 + 2 + reason.length + 2 + size(hs));
            b.putShort((short) r.head().status());
            putString(b, reason);
            putHeaders(b, hs);
            return b.flip();
        }
        if (frame instanceof Frame.Reset r) {
            byte[] reason = utf8(truncate(r.reason()));
            ByteBuffer b = header(FrameType.RESET, 0, r.streamId(), 4 + reason.length);
            b.putInt(r.code().code());
            b.put(reason);
            return b.flip();
        }
        if (frame instanceof Frame.GoAway g) {
            byte[] reason = utf8(truncate(g.reason()));
            ByteBuffer b = header(FrameType.GOAWAY, 0, 0, 8 + reason.length);
            b.putInt(g.lastStreamId());
            b.putInt(g.code().code());
            b.put(reason);
            return b.flip();
        }
        Frame.Hello h = (Frame.Hello) frame;
        ByteBuffer b = header(FrameType.HELLO, 0, 0, 4 * 6);
        setting(b, Settings.ID_INITIAL_WINDOW, h.settings().initialWindow());
        setting(b, Settings.ID_MAX_CONCURRENT_STREAMS, h.settings().maxConcurrentStreams());
        setting(b, Settings.ID_MAX_FRAME_PAYLOAD, h.settings().maxFramePayload());
        setting(b, Settings.ID_MAX_HEAD_SIZE, h.settings().maxHeadSize());
        return b.flip();
    }

    /** Encodes a DATA frame header followed by payload bytes copied from {@code src}. */
    public static ByteBuffer encodeData(int streamId, ByteBuffer src, boolean endStream) {
        ByteBuffer b = header(FrameType.DATA, flags(endStream), streamId, src.remaining());
        b.put(src);
        return b.flip();
    }

    private static ByteBuffer header(FrameType type, int flags, int streamId, int payloadSize) {
        if (streamId < 0) {
            throw new IllegalArgumentException("stream id out of range: " + streamId);
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

    private static String truncate(String reason) {
        return reason == null ? "" : reason.length() > 1024 ? reason.substring(0, 1024) : reason;
    }

    private static byte[][] headerBytes(Headers headers) {
        if (headers.size() > MAX_STRING) {
            throw new IllegalArgumentException("too many headers");
        }
        byte[][] out = new byte[headers.size() * 2][];
        int i = 0;
        for (Header h : headers.fields()) {
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
     * Decodes one whole frame (one WebSocket message). The buffer is consumed; a DATA payload is a
     * read-only view of it, so the caller must not reuse the buffer while the frame is alive.
     *
     * @param limits this peer's own receive limits (what it announced in HELLO)
     */
    public static Frame decode(ByteBuffer message, Settings limits) {
        if (message.remaining() < HEADER_SIZE) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "frame shorter than its " + HEADER_SIZE + "-byte header: " + message.remaining() + " bytes");
        }
        int typeCode = message.get() & 0xFF;
        int flags = message.get() & 0xFF;
        int streamId = message.getInt();
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
        if ((flags & ~FLAG_END_STREAM) != 0 || (flags != 0 && !carriesEndStream(type))) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "unknown flags 0x" + Integer.toHexString(flags) + " on " + type);
        }
        boolean end = (flags & FLAG_END_STREAM) != 0;
        int len = message.remaining();
        ByteBuffer p = message.slice();
        message.position(message.limit());
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
                if (len > 4096) {
                    throw ProtocolException.connection(ErrorCode.FRAME_TOO_LARGE, type + " frame of " + len + " bytes");
                }
            }
        }
        try {
            Frame f = switch (type) {
                case HELLO -> new Frame.Hello(decodeSettings(p));
                case OPEN -> decodeOpen(p, streamId, end);
                case REPLY -> decodeReply(p, streamId, end);
                case DATA -> new Frame.Data(streamId, p.asReadOnlyBuffer(), end);
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
            };
            if (p.hasRemaining() && type != FrameType.DATA) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                        p.remaining() + " trailing bytes after " + type + " frame");
            }
            return f;
        } catch (java.nio.BufferUnderflowException e) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "truncated " + type + " frame");
        }
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
        while (p.hasRemaining()) {
            int id = p.getShort() & 0xFFFF;
            int value = p.getInt();
            switch (id) {
                case Settings.ID_INITIAL_WINDOW -> window = value;
                case Settings.ID_MAX_CONCURRENT_STREAMS -> streams = value;
                case Settings.ID_MAX_FRAME_PAYLOAD -> frame = value;
                case Settings.ID_MAX_HEAD_SIZE -> head = value;
                default -> { /* unknown settings are ignored */ }
            }
        }
        return new Settings(window, streams, frame, head);
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
        if (method.isEmpty()) {
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, streamId, "empty method");
        }
        return new Frame.Open(streamId, kind, new RequestHead(method, target, authority, scheme, headers), end);
    }

    private static Frame decodeReply(ByteBuffer p, int streamId, boolean end) {
        int status = p.getShort() & 0xFFFF;
        if (status < 100 || status > 999) {
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, streamId, "status " + status + " out of range");
        }
        String reason = string(p);
        return new Frame.Reply(streamId, new ResponseHead(status, reason, headers(p)), end);
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
