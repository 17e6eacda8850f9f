package io.wstunnel.srv.legacy;

import io.undertow.util.StatusCodes;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.StreamSinkFrameChannel;
import io.undertow.websockets.core.StreamSourceFrameChannel;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSocketFrameType;
import io.undertow.websockets.core.WebSockets;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.legacy.LegacyMessageParser;
import io.wstunnel.protocol.legacy.LegacyProtocolException;
import io.wstunnel.protocol.legacy.LegacyWriter;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.XnioIoThread;

/**
 * One agent socket speaking the legacy (Go wstunnel) framing: one binary WebSocket message per
 * request and per response, each = 4 hex digits of id + one HTTP/1.1 message (LEGACY.md §2).
 *
 * <p><b>Sending.</b> A legacy message carries one body, and only one data message can be in
 * flight per direction, so requests leave this socket one at a time through a single outbound
 * "message slot" ({@link #waiting} in FIFO order). A request without a body holds the slot only
 * while its head is written. A request with a body holds it while its body streams in from the
 * caller (written as WebSocket fragments as it arrives, at most {@link #SEND_BUFFER} bytes buffered
 * here). What one slow upload can hold up is bounded: if it makes no progress for
 * {@code uploadStall} while other requests wait, its message is cut short after the head (the
 * agent sees a truncated body, never an unparsable head) and its caller gets 408; in any case the
 * caller's own deadline (-httptimeout) ends it. Bodies over 100 MiB are refused with 413 (known
 * Content-Length) or cut with 413 (chunked), since the Go agent refuses larger messages.
 *
 * <p><b>Receiving.</b> Responses are parsed incrementally as fragments arrive and streamed to the
 * caller. The legacy agent has no flow control, so this socket stops reading while the caller of
 * the response in transit has more than the server's receive window unconsumed: one slow caller
 * can hold this socket's responses, never other sockets'.
 *
 * <p>Threads: socket I/O (sink writes, receive, timers) runs on the channel's IO thread; fields
 * marked "IO thread" are touched only there. The stream table and slot queue are guarded by this
 * object's monitor. Callers are notified with no monitor held.
 */
public final class LegacySession implements AgentConnection {
    private static final Logger log = LoggerFactory.getLogger(LegacySession.class);

    static final int MAX_DATA = 64 * 1024;
    /** Request body bytes buffered here for the socket, per uploading request. */
    static final int SEND_BUFFER = 256 * 1024;
    static final int MAX_IN_FLIGHT = 512;
    static final String TOO_LARGE = "Request body too large for a legacy wstunnel agent (limit 100 MiB per message)";
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    enum State { OPEN, DRAINING, CLOSED }

    private final WebSocketChannel channel;
    private final XnioIoThread io;
    private final Tunnel tunnel;
    private final Duration wsTimeout;
    private final long uploadStallNanos;
    private final int receiveWindow;
    private final String remote;
    private final String clientVersion;
    private final Runnable onClosed;

    // guarded by this
    private State state = State.OPEN;
    private final Map<Integer, LegacyStream> streams = new HashMap<>();
    private final ArrayDeque<LegacyStream> waiting = new ArrayDeque<>();

    // IO thread: sending
    private LegacyStream current;
    private StreamSinkFrameChannel sink;
    private boolean sinkShutdown;
    private boolean flushPending;
    private boolean wholeMessageInFlight;

    // IO thread: receiving
    private StreamSourceFrameChannel rx;
    private LegacyMessageParser parser;
    private LegacyStream rxStream;
    private ResponseHead pendingHead;
    private boolean headDelivered;
    private boolean rxSkip;
    private boolean rxPaused;
    private final ByteBuffer rxBuf = ByteBuffer.allocate(16 * 1024);

    private volatile long lastAliveNanos = System.nanoTime();

    /**
     * @param receiveWindow response bytes a caller may leave unconsumed before this socket stops
     *                      reading (use the v2 initial window: the caller bridge acknowledges by
     *                      half-windows)
     */
    public LegacySession(WebSocketChannel channel, Tunnel tunnel, Duration wsTimeout, Duration uploadStall,
                         int receiveWindow, String remote, String clientVersion, Runnable onClosed) {
        this.channel = channel;
        this.io = channel.getIoThread();
        this.tunnel = tunnel;
        this.wsTimeout = wsTimeout;
        this.uploadStallNanos = uploadStall.toNanos();
        this.receiveWindow = receiveWindow;
        this.remote = remote;
        this.clientVersion = clientVersion;
        this.onClosed = onClosed;
    }

    /** Starts receiving and the keep-alive timer. Call once, after the upgrade and after joining the tunnel. */
    public void start() {
        channel.addCloseTask(ch -> closed("socket closed"));
        channel.getReceiveSetter().set(new Receiver());
        channel.resumeReceives();
        scheduleTick();
        tunnel.drain();
    }

    // ------------------------------------------------------------------ AgentConnection

    @Override
    public boolean tryOpen(CallerStream caller) {
        if (caller.kind() != StreamKind.HTTP) {
            return false; // legacy framing carries HTTP exchanges only: leave WebSocket/TCP streams to v2 agents
        }
        RequestHead head = caller.head();
        LegacyWriter.BodyFraming framing = LegacyWriter.BodyFraming.NONE;
        long length = 0;
        if (caller.hasBody()) {
            length = contentLength(head.headers());
            framing = length > 0 ? LegacyWriter.BodyFraming.LENGTH : LegacyWriter.BodyFraming.CHUNKED;
        }
        boolean tooLarge = framing == LegacyWriter.BodyFraming.LENGTH
                && length > LegacyWriter.MAX_MESSAGE_SIZE - 64 * 1024;
        if (tooLarge && otherAgentMayTakeIt()) {
            return false;
        }
        LegacyStream s = null;
        synchronized (this) {
            if (state != State.OPEN || streams.size() >= MAX_IN_FLIGHT || !caller.isActive()) {
                return false;
            }
            if (!tooLarge) {
                int id = allocateId();
                if (id < 0) {
                    return false;
                }
                s = new LegacyStream(this, id, caller, framing, length);
                ByteBuffer h = LegacyWriter.requestHead(id, head, framing, length);
                if (framing == LegacyWriter.BodyFraming.LENGTH && h.remaining() + length > LegacyWriter.MAX_MESSAGE_SIZE) {
                    tooLarge = true;
                } else {
                    s.headBuffer = h;
                    s.headLength = h.remaining();
                    s.out.add(h);
                    s.outBytes = h.remaining();
                    s.messageBytes = h.remaining();
                    streams.put(id, s);
                    waiting.add(s);
                }
            }
        }
        if (tooLarge) {
            log.info("tunnel {} legacy agent {}: request {} refused, body over 100 MiB", tunnel.tokenId(), remote, caller.requestId());
            caller.fail(413, TOO_LARGE);
            return true;
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} legacy agent {}: id {} for {}", tunnel.tokenId(), remote, Integer.toHexString(s.id()), caller.requestId());
        }
        caller.onOpened(s);
        io.execute(this::pumpSend);
        return true;
    }

    /** True if another agent of the token does not have the legacy 100 MiB message limit. */
    private boolean otherAgentMayTakeIt() {
        for (AgentConnection a : tunnel.agents()) {
            if (!(a instanceof LegacySession)) {
                return true;
            }
        }
        return false;
    }

    private static long contentLength(Headers headers) {
        String v = headers.first("Content-Length");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Caller holds the monitor. @return a free id of the token's sequence, or -1 */
    private int allocateId() {
        for (int i = 0; i < 32_000; i++) {
            int id = LegacyIdCounters.next(tunnel);
            if (!streams.containsKey(id)) {
                return id;
            }
        }
        return -1;
    }

    @Override
    public synchronized int load() {
        return streams.size() + waiting.size(); // requests stuck behind the slot count twice
    }

    @Override
    public synchronized boolean accepting() {
        return state == State.OPEN && streams.size() < MAX_IN_FLIGHT;
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String clientVersion() {
        return clientVersion;
    }

    @Override
    public void goAway(String reason) {
        boolean idle;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.DRAINING;
            idle = streams.isEmpty();
        }
        if (idle) {
            closeSocket(reason);
        } else {
            io.executeAfter(() -> closeSocket(reason), 30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void abort(String reason) {
        IoUtils.safeClose(channel);
        closed(reason);
    }

    /** Requests on this socket that are not finished (waiting, sending or awaiting a response). */
    public synchronized int openStreams() {
        return streams.size();
    }

    // ------------------------------------------------------------------ request side (any thread)

    int sendCredit(LegacyStream s) {
        synchronized (this) {
            if (s.phase != LegacyStream.Phase.SENDING || s.bodyEnded || s.closed || state == State.CLOSED) {
                return 0;
            }
            return Math.max(0, SEND_BUFFER - s.outBytes);
        }
    }

    void sendData(LegacyStream s, ByteBuffer data, boolean end) {
        boolean tooBig = false;
        synchronized (this) {
            if (s.closed || s.bodyEnded || s.phase != LegacyStream.Phase.SENDING) {
                return;
            }
            ByteBuffer piece;
            if (s.framing == LegacyWriter.BodyFraming.CHUNKED) {
                piece = LegacyWriter.chunk(data);
            } else {
                long room = s.contentLength - (s.messageBytes - headLength(s));
                ByteBuffer d = data.duplicate();
                if (d.remaining() > room) {
                    d.limit(d.position() + (int) Math.max(0, room)); // never write past the declared length
                }
                piece = ByteBuffer.allocate(d.remaining());
                piece.put(d).flip();
            }
            ByteBuffer last = end && s.framing == LegacyWriter.BodyFraming.CHUNKED ? LegacyWriter.lastChunk() : null;
            long add = piece.remaining() + (last == null ? 0 : last.remaining());
            if (s.messageBytes + add > LegacyWriter.MAX_MESSAGE_SIZE) {
                tooBig = true;
                abortUpload(s);
                forget(s);
            } else {
                if (piece.hasRemaining()) {
                    s.out.add(piece);
                }
                if (last != null) {
                    s.out.add(last);
                }
                s.outBytes += (int) add;
                s.messageBytes += add;
                s.bodyEnded = end;
                s.lastProgressNanos = System.nanoTime();
            }
        }
        if (tooBig) {
            log.info("tunnel {} legacy agent {}: chunked request body of {} over 100 MiB, cut", tunnel.tokenId(), remote,
                    s.caller.requestId());
            s.caller.fail(413, TOO_LARGE);
        }
        io.execute(this::pumpSend);
    }

    /** Bytes of the head of {@code s}'s message (the first buffer queued for it). */
    private static long headLength(LegacyStream s) {
        return s.headLength;
    }

    void consumed(LegacyStream s, int bytes) {
        if (bytes <= 0) {
            return;
        }
        io.execute(() -> {
            s.unconsumed -= bytes;
            resumeIfPaused();
        });
    }

    void resetByCaller(LegacyStream s, String reason) {
        synchronized (this) {
            if (s.closed) {
                return;
            }
            if (!s.bodyEnded) {
                abortUpload(s); // waiting: never sent; uploading: the message is cut after its head
            }
            forget(s);
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} legacy agent {}: id {} dropped by its caller: {}", tunnel.tokenId(), remote,
                    Integer.toHexString(s.id()), reason);
        }
        io.execute(() -> {
            if (rxStream == s) {
                rxStream = null;
                rxSkip = true; // the rest of its response message is read and dropped
            }
            resumeIfPaused();
            pumpSend();
        });
        tunnel.drain();
    }

    /**
     * Caller holds the monitor. Ends the body of an upload early: nothing more is queued, the head is
     * still written whole (a truncated head would make a Go agent drop the tunnel), and the message
     * is closed after what is already queued.
     */
    private void abortUpload(LegacyStream s) {
        s.bodyEnded = true;
        if (s.phase == LegacyStream.Phase.WAITING) {
            waiting.remove(s);
            s.out.clear();
            s.outBytes = 0;
            return;
        }
        ByteBuffer keep = s.headBuffer;
        s.out.clear();
        s.outBytes = 0;
        if (keep != null && keep.hasRemaining()) {
            s.out.add(keep);
            s.outBytes = keep.remaining();
        }
    }

    /** Caller holds the monitor. The stream is finished for this side: later replies for its id are ignored. */
    private void forget(LegacyStream s) {
        s.closed = true;
        if (s.phase == LegacyStream.Phase.WAITING) {
            waiting.remove(s);
            s.phase = LegacyStream.Phase.DONE;
        }
        if (streams.get(s.id()) == s) {
            streams.remove(s.id());
        }
        if (state == State.DRAINING && streams.isEmpty()) {
            io.execute(() -> closeSocket("drained"));
        }
    }

    // ------------------------------------------------------------------ sending (IO thread)

    private void pumpSend() {
        while (true) {
            if (wholeMessageInFlight) {
                return;
            }
            LegacyStream s = current;
            if (s == null) {
                synchronized (this) {
                    if (state == State.CLOSED) {
                        return;
                    }
                    s = waiting.poll();
                    if (s == null) {
                        return;
                    }
                    s.phase = LegacyStream.Phase.SENDING;
                    s.lastProgressNanos = System.nanoTime();
                    if (s.framing == LegacyWriter.BodyFraming.NONE) {
                        s.bodyEnded = true;
                    }
                    current = s;
                }
                if (s.framing == LegacyWriter.BodyFraming.NONE) {
                    sendWhole(s);
                    return;
                }
                try {
                    sink = channel.send(WebSocketFrameType.BINARY);
                } catch (IOException e) {
                    sendFailed(e);
                    return;
                }
                sinkShutdown = false;
                flushPending = false;
                sink.getWriteSetter().set(ch -> pumpSend());
                s.caller.onWritable(); // it has credit now
            }
            if (!writeQueued(s)) {
                return;
            }
            s = current;
            if (s == null) {
                continue;
            }
            return;
        }
    }

    /** A request without body: its message is its head, sent in one go. */
    private void sendWhole(LegacyStream s) {
        ByteBuffer msg;
        synchronized (this) {
            msg = s.out.poll();
            s.out.clear();
            s.outBytes = 0;
            s.headBuffer = null;
        }
        wholeMessageInFlight = true;
        WebSockets.sendBinary(msg == null ? EMPTY : msg, channel, new WebSocketCallback<Void>() {
            @Override
            public void complete(WebSocketChannel ch, Void context) {
                wholeMessageInFlight = false;
                messageSent(s);
                pumpSend();
            }

            @Override
            public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
                wholeMessageInFlight = false;
                sendFailed(throwable);
            }
        });
    }

    /**
     * Writes what {@code s} has queued into the open message.
     *
     * @return true if the message is complete and the slot is free again
     */
    private boolean writeQueued(LegacyStream s) {
        StreamSinkFrameChannel out = sink;
        boolean freed = false;
        try {
            while (true) {
                ByteBuffer b;
                synchronized (this) {
                    b = s.out.peek();
                }
                if (b == null) {
                    break;
                }
                int before = b.remaining();
                out.write(b);
                int wrote = before - b.remaining();
                synchronized (this) {
                    if (s.out.peek() == b) { // else an abort emptied the queue meanwhile
                        s.outBytes -= wrote;
                        if (!b.hasRemaining()) {
                            s.out.poll();
                        }
                    }
                    if (wrote > 0) {
                        s.lastProgressNanos = System.nanoTime();
                    }
                    if (!b.hasRemaining() && b == s.headBuffer) {
                        s.headBuffer = null;
                    }
                }
                freed |= wrote > 0;
                if (b.hasRemaining()) {
                    out.resumeWrites();
                    if (freed) {
                        s.caller.onWritable();
                    }
                    return false;
                }
            }
            boolean ended;
            synchronized (this) {
                ended = s.bodyEnded && s.out.isEmpty();
            }
            if (!ended) {
                // Push what the caller gave so far as a fragment: the agent sees the request as it arrives.
                if (freed || flushPending) {
                    flushPending = !out.flush();
                }
                if (flushPending) {
                    out.resumeWrites();
                } else {
                    out.suspendWrites();
                }
                if (freed) {
                    s.caller.onWritable();
                }
                return false;
            }
            if (!sinkShutdown) {
                sinkShutdown = true;
                out.shutdownWrites();
            }
            if (!out.flush()) {
                out.resumeWrites();
                return false;
            }
        } catch (IOException e) {
            sendFailed(e);
            return false;
        }
        out.getWriteSetter().set(null);
        sink = null;
        messageSent(s);
        return true;
    }

    private void messageSent(LegacyStream s) {
        synchronized (this) {
            if (current == s) {
                current = null;
            }
            if (s.phase == LegacyStream.Phase.SENDING) {
                s.phase = LegacyStream.Phase.SENT;
            }
        }
    }

    private void sendFailed(Throwable t) {
        log.info("tunnel {} legacy agent {}: send failed: {}", tunnel.tokenId(), remote, t.toString());
        IoUtils.safeClose(channel);
        closed("send failed");
    }

    // ------------------------------------------------------------------ timers (IO thread)

    private void scheduleTick() {
        io.executeAfter(this::tick, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
        }
        long now = System.nanoTime();
        long silentMs = TimeUnit.NANOSECONDS.toMillis(now - lastAliveNanos);
        if (silentMs > wsTimeout.toMillis()) {
            log.warn("tunnel {} legacy agent {}: no ping for {} ms, closing", tunnel.tokenId(), remote, silentMs);
            IoUtils.safeClose(channel);
            closed("no ping");
            return;
        }
        LegacyStream s = current;
        boolean stalled = false;
        if (s != null) {
            synchronized (this) {
                if (!s.bodyEnded && !waiting.isEmpty() && now - s.lastProgressNanos > uploadStallNanos) {
                    stalled = true;
                    abortUpload(s);
                    forget(s);
                }
            }
        }
        if (stalled) {
            log.info("tunnel {} legacy agent {}: upload of {} stalled while {} requests waited; cut", tunnel.tokenId(),
                    remote, s.caller.requestId(), waitingCount());
            s.caller.fail(408, "Request body too slow: a legacy wstunnel agent takes one upload at a time and this one stalled");
            pumpSend();
        }
        scheduleTick();
    }

    private synchronized int waitingCount() {
        return waiting.size();
    }

    // ------------------------------------------------------------------ receiving (IO thread)

    private void beginMessage(StreamSourceFrameChannel ch) {
        rx = ch;
        rxStream = null;
        pendingHead = null;
        headDelivered = false;
        rxSkip = false;
        rxPaused = false;
        parser = new LegacyMessageParser(LegacyMessageParser.Kind.RESPONSE, LegacyMessageParser.DEFAULT_MAX_HEAD_SIZE,
                this::isHeadRequest, new ResponseListener());
        ch.getReadSetter().set(c -> readMessage());
        readMessage();
    }

    private synchronized boolean isHeadRequest(int id) {
        LegacyStream s = streams.get(id);
        return s != null && s.headRequest;
    }

    private void readMessage() {
        StreamSourceFrameChannel ch = rx;
        if (ch == null) {
            return;
        }
        try {
            while (true) {
                LegacyStream s = rxStream;
                if (s != null && !s.closed && s.unconsumed >= receiveWindow) {
                    ch.suspendReads(); // backpressure: the caller is slow; resumed by consumed()
                    rxPaused = true;
                    return;
                }
                rxBuf.clear();
                int n = ch.read(rxBuf);
                if (n < 0) {
                    ch.suspendReads();
                    endMessage();
                    return;
                }
                if (n == 0) {
                    ch.resumeReads();
                    return;
                }
                lastAliveNanos = System.nanoTime();
                rxBuf.flip();
                if (!rxSkip) {
                    try {
                        parser.feed(rxBuf);
                    } catch (LegacyProtocolException e) {
                        parseFailed(e);
                        if (rx == null) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.info("tunnel {} legacy agent {}: read failed: {}", tunnel.tokenId(), remote, e.toString());
            IoUtils.safeClose(channel);
            closed("read failed");
        }
    }

    private void resumeIfPaused() {
        if (!rxPaused) {
            return;
        }
        LegacyStream s = rxStream;
        if (s == null || s.closed || s.unconsumed < receiveWindow) {
            rxPaused = false;
            readMessage();
        }
    }

    private void endMessage() {
        rx = null;
        if (!rxSkip) {
            try {
                parser.endOfMessage();
            } catch (LegacyProtocolException e) {
                parseFailed(e);
            }
        }
        rxStream = null;
        parser = null;
        pendingHead = null;
    }

    private void parseFailed(LegacyProtocolException e) {
        rxSkip = true;
        if (e.kind() == LegacyProtocolException.Kind.BAD_ID) {
            log.warn("tunnel {} legacy agent {}: message with a bad id; dropping the socket", tunnel.tokenId(), remote);
            rx = null;
            IoUtils.safeClose(channel);
            closed("bad id");
            return;
        }
        LegacyStream s = rxStream;
        rxStream = null;
        if (s == null) {
            log.debug("tunnel {} legacy agent {}: unparseable reply for unknown id ignored: {}", tunnel.tokenId(), remote, e.getMessage());
            return;
        }
        log.warn("tunnel {} legacy agent {}: unparseable response for id {}: {}", tunnel.tokenId(), remote,
                Integer.toHexString(s.id()), e.getMessage());
        finish(s);
        if (!headDelivered) {
            s.caller.fail(506, ""); // the Go server answers 506 with an empty body
        } else {
            s.caller.onReset(ErrorCode.PROTOCOL_ERROR, "unparseable response from the legacy agent", false);
        }
    }

    private void finish(LegacyStream s) {
        boolean cut = false;
        synchronized (this) {
            if (current == s && !s.bodyEnded) {
                abortUpload(s); // answered before its upload ended: free the slot now
                cut = true;
            }
            s.phase = LegacyStream.Phase.DONE;
            if (!s.closed) {
                forget(s);
            }
        }
        if (cut) {
            io.execute(this::pumpSend);
        }
        tunnel.drain();
    }

    private void deliverHead(LegacyStream s, boolean end) {
        headDelivered = true;
        ResponseHead h = pendingHead;
        pendingHead = null;
        s.caller.onReply(h, end);
    }

    /** The agent's head as the caller should see it: hop-by-hop gone, framing re-done by the server. */
    private static ResponseHead cleanHead(ResponseHead head, LegacyMessageParser.Framing framing) {
        Headers h = head.headers().withoutHopByHop();
        if (framing == LegacyMessageParser.Framing.CHUNKED || framing == LegacyMessageParser.Framing.TO_END_OF_MESSAGE) {
            h = h.without(List.of("Content-Length"));
        }
        String reason = StatusCodes.getReason(head.status());
        if (reason == null || reason.equals("Unknown")) {
            reason = "status code " + head.status(); // the Go server drops the agent's reason phrase
        }
        return new ResponseHead(head.status(), reason, h);
    }

    private final class ResponseListener implements LegacyMessageParser.Listener {
        @Override
        public void onId(int id) {
            LegacyStream s;
            synchronized (LegacySession.this) {
                s = streams.get(id);
                if (s != null && (s.closed || s.phase == LegacyStream.Phase.WAITING || s.phase == LegacyStream.Phase.RESPONDING)) {
                    s = null;
                }
            }
            if (s == null) {
                log.debug("tunnel {} legacy agent {}: reply for unknown id {} ignored", tunnel.tokenId(), remote, Integer.toHexString(id));
                rxSkip = true;
                return;
            }
            rxStream = s;
        }

        @Override
        public void onResponseHead(int id, ResponseHead head, String version) {
            LegacyStream s = rxStream;
            if (s == null) {
                return;
            }
            synchronized (LegacySession.this) {
                if (s.phase == LegacyStream.Phase.SENDING || s.phase == LegacyStream.Phase.SENT) {
                    s.phase = LegacyStream.Phase.RESPONDING;
                }
            }
            pendingHead = cleanHead(head, parser.framing());
        }

        @Override
        public void onBody(ByteBuffer chunk) {
            LegacyStream s = rxStream;
            if (s == null || s.closed) {
                return;
            }
            if (!headDelivered) {
                deliverHead(s, false);
            }
            ByteBuffer copy = ByteBuffer.allocate(chunk.remaining());
            copy.put(chunk).flip();
            s.unconsumed += copy.remaining();
            s.caller.onData(copy, false);
        }

        @Override
        public void onEnd() {
            LegacyStream s = rxStream;
            rxStream = null;
            if (s == null || s.closed) {
                return;
            }
            finish(s);
            if (!headDelivered) {
                deliverHead(s, true);
            } else {
                s.caller.onData(EMPTY.duplicate(), true);
            }
        }
    }

    // ------------------------------------------------------------------ closing

    private void closeSocket(String reason) {
        log.info("tunnel {} legacy agent {}: closing ({})", tunnel.tokenId(), remote, reason);
        WebSockets.sendClose(ByteBuffer.allocate(0), channel, null); // legacy close frames carry no code
        io.executeAfter(() -> IoUtils.safeClose(channel), 5, TimeUnit.SECONDS);
    }

    /** The socket is gone: requests in flight fail with 502; those still waiting for the slot are routed again. */
    private void closed(String why) {
        List<LegacyStream> lost = new ArrayList<>();
        List<LegacyStream> unsent = new ArrayList<>();
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            for (LegacyStream s : streams.values()) {
                if (s.closed) {
                    continue;
                }
                s.closed = true;
                (s.phase == LegacyStream.Phase.WAITING ? unsent : lost).add(s);
            }
            streams.clear();
            waiting.clear();
        }
        log.info("tunnel {} legacy agent {} disconnected ({}), {} requests in flight, {} not sent", tunnel.tokenId(), remote,
                why, lost.size(), unsent.size());
        for (LegacyStream s : lost) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", false);
        }
        for (LegacyStream s : unsent) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", true);
        }
        tunnel.removeAgent(this);
        onClosed.run();
    }

    private final class Receiver extends AbstractReceiveListener {
        @Override
        protected void onBinary(WebSocketChannel ch, StreamSourceFrameChannel message) {
            lastAliveNanos = System.nanoTime();
            beginMessage(message);
        }

        @Override
        protected void onText(WebSocketChannel ch, StreamSourceFrameChannel message) {
            log.warn("tunnel {} legacy agent {}: text message; dropping the socket", tunnel.tokenId(), remote);
            IoUtils.safeClose(ch);
            closed("text message");
        }

        @Override
        protected void onFullPingMessage(WebSocketChannel ch, BufferedBinaryMessage message) throws IOException {
            lastAliveNanos = System.nanoTime();
            super.onFullPingMessage(ch, message); // answers with a pong
        }

        @Override
        protected void onError(WebSocketChannel ch, Throwable error) {
            log.info("tunnel {} legacy agent {}: socket error: {}", tunnel.tokenId(), remote, error.toString());
            super.onError(ch, error);
            closed("socket error");
        }
    }
}
