package io.wstunnel.protocol;

import java.nio.ByteBuffer;
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
 *
 * <p>This class owns the frame header, its checks on decode and the DATA fast paths (no copy on
 * decode, none in place on encode); the payloads of the other types are written by
 * {@link PayloadEncoder} and read by {@link PayloadDecoder}.
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
            return PayloadEncoder.windowUpdate(w);
        }
        if (frame instanceof Frame.Open o) {
            return PayloadEncoder.open(o);
        }
        if (frame instanceof Frame.Reply r) {
            return PayloadEncoder.reply(r);
        }
        if (frame instanceof Frame.Reset r) {
            return PayloadEncoder.reset(r);
        }
        if (frame instanceof Frame.GoAway g) {
            return PayloadEncoder.goAway(g);
        }
        return PayloadEncoder.hello((Frame.Hello) frame);
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

    /** A buffer for one frame, its header written: checks the stream id against the type. */
    static ByteBuffer header(FrameType type, int flags, int streamId, int payloadSize) {
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

    static int flags(boolean endStream) {
        return endStream ? FLAG_END_STREAM : 0;
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
        return PayloadDecoder.decode(type, flags, streamId, p);
    }

    private static boolean carriesEndStream(FrameType t) {
        return t == FrameType.OPEN || t == FrameType.REPLY || t == FrameType.DATA;
    }
}
