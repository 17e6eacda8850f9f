package io.wstunnel.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decoders of the payloads of the frames other than DATA, once {@link FrameCodec#decode} has checked
 * the frame header and the payload's size. Failures are {@link ProtocolException}s; only a frame
 * that is well-formed as a whole may fail at stream level.
 */
final class PayloadDecoder {
    private PayloadDecoder() {
    }

    /**
     * @param p     the whole payload, consumed
     * @param flags the frame's flags, already checked against its type
     */
    static Frame decode(FrameType type, int flags, int streamId, ByteBuffer p) {
        boolean end = (flags & FrameCodec.FLAG_END_STREAM) != 0;
        Frame f;
        try {
            f = switch (type) {
                case HELLO -> new Frame.Hello(decodeSettings(p));
                case OPEN -> decodeOpen(p, streamId, end);
                case REPLY -> decodeReply(p, streamId, end, (flags & FrameCodec.FLAG_BODY) != 0);
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
        } catch (BufferUnderflowException e) {
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
            throw new BufferUnderflowException();
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
            throw new BufferUnderflowException();
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
