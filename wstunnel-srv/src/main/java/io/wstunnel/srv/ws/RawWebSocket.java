package io.wstunnel.srv.ws;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * Server side of an RFC 6455 connection over an upgraded XNIO connection: our own frame decoder
 * (word-wise unmasking, one copy per message) and a writer that batches queued frames into
 * gathering writes. Used for wstunnel.v2 agent sockets, where Undertow's byte-wise unmasking cost
 * most of the server's CPU on bulk transfers.
 *
 * <p>Threading: every field marked "IO thread" is owned by the connection's IO thread; reads,
 * writes, the close handshake and handler callbacks happen there. {@link #send}, {@link #ping},
 * {@link #close} and {@link #abort} may be called from any thread; they post to the IO thread.
 *
 * <p>Every frame queued here, pongs and the close frame included, is counted in {@link #queuedBytes}
 * at its {@link OutboundMeter#cost} until it is on the socket. With {@link #limitQueue} set, a frame
 * that would take the count over the limit is dropped and the connection aborted: a peer that does
 * not read cannot make the queue grow without bound.
 */
public final class RawWebSocket {

    /** Receives what the peer sends; runs on the IO thread. */
    @FunctionalInterface
    public interface Handler {
        void onBinary(ByteBuffer message);

        default void onText() {
        }

        /** A ping arrived; it is answered unless the {@link #allowPong} check refuses. */
        default void onPing() {
        }

        default void onPong() {
        }

        /** The connection is gone; called exactly once. */
        default void onClosed(String why) {
        }
    }

    /** Frames written in one gathering write at most. */
    private static final int MAX_GATHER = 64;
    private static final int READ_BUFFER = 64 * 1024;
    private static final int READS_PER_EVENT = 32;
    private static final long CLOSE_WAIT_MS = 5000;
    private static final ThreadLocal<ByteBuffer> READ_BUFFERS = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(READ_BUFFER));

    private record Out(ByteBuffer head, ByteBuffer body, Runnable onWritten, long cost) {
    }

    private final StreamConnection connection;
    private final ConduitStreamSourceChannel source;
    private final ConduitStreamSinkChannel sink;
    private final WsFrameDecoder decoder;
    private final ConcurrentLinkedQueue<Out> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushPosted = new AtomicBoolean();
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private final OutboundMeter meter = new OutboundMeter();
    private Handler handler;
    // Set before start().
    private LongConsumer onOverLimit = bytes -> { };
    private Runnable afterWrite = () -> { };

    // IO thread
    private final ArrayDeque<Out> pending = new ArrayDeque<>();
    private final ByteBuffer[] gather = new ByteBuffer[2 * MAX_GATHER];
    private boolean awaitingWritable;
    private boolean closeSent;
    private boolean closeReceived;
    private boolean inputDone;
    private final AtomicBoolean closedFired = new AtomicBoolean();
    private String why = "socket closed";
    private java.util.function.BooleanSupplier allowPong = () -> true;

    /** @param maxMessage largest message accepted from the peer; larger ones close with 1009 */
    public RawWebSocket(StreamConnection connection, int maxMessage) {
        this.connection = connection;
        this.source = connection.getSourceChannel();
        this.sink = connection.getSinkChannel();
        this.decoder = new WsFrameDecoder(maxMessage, new Decoded());
    }

    /** Decides per ping whether it is answered (for a ping-flood budget). Call before {@link #start}. */
    public void allowPong(java.util.function.BooleanSupplier allow) {
        this.allowPong = allow;
    }

    /**
     * Caps {@link #queuedBytes}. A frame that would take it over {@code max} is dropped, as is every
     * frame after it; {@code onExceeded} then gets the count that frame would have made (once, on the IO
     * thread) and the connection is aborted, as by {@link #abort}. Call before {@link #start}.
     */
    public void limitQueue(long max, LongConsumer onExceeded) {
        meter.limit(max);
        this.onOverLimit = onExceeded;
    }

    /** Runs {@code r} on the IO thread each time a frame has left the queue. Call before {@link #start}. */
    public void afterEachWrite(Runnable r) {
        this.afterWrite = r;
    }

    /** The {@link OutboundMeter#cost} of the frames queued and not yet written. */
    public long queuedBytes() {
        return meter.queued();
    }

    /** Starts reading. Call once. */
    public void start(Handler h) {
        this.handler = h;
        connection.setCloseListener(c -> fireClosed());
        source.getReadSetter().set(ch -> onReadable());
        sink.getWriteSetter().set(ch -> onWritable());
        source.resumeReads();
    }

    public InetSocketAddress peerAddress() {
        return connection.getPeerAddress(InetSocketAddress.class);
    }

    /** Runs {@code task} on the IO thread. */
    public void execute(Runnable task) {
        connection.getIoThread().execute(task);
    }

    /** Runs {@code task} on the IO thread after {@code ms} milliseconds. */
    public void schedule(Runnable task, long ms) {
        connection.getIoThread().executeAfter(task, ms, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ outbound (any thread)

    /** Queues one binary message; {@code onWritten} runs on the IO thread once it is on the socket. */
    public void send(ByteBuffer message, Runnable onWritten) {
        enqueue(WsFrames.OP_BINARY, message, onWritten);
    }

    public void ping() {
        enqueue(WsFrames.OP_PING, ByteBuffer.allocate(0), null);
    }

    /**
     * Starts the closing handshake: queued frames are written first, then the close frame; the
     * connection is closed when the peer answers, or after a few seconds if it does not.
     */
    public void close(int code, String reason) {
        if (!closeRequested.compareAndSet(false, true)) {
            return;
        }
        ByteBuffer body = code == WsFrames.NO_STATUS ? ByteBuffer.allocate(0) : WsFrames.closePayload(code, reason);
        long cost = OutboundMeter.cost(body.remaining());
        meter.force(cost); // never refused: it ends the connection
        incoming.add(new Out(WsFrames.header(WsFrames.OP_CLOSE, body.remaining()), body, this::closeWritten, cost));
        postFlush();
        schedule(() -> IoUtils.safeClose(connection), CLOSE_WAIT_MS); // a peer that never answers is cut
    }

    /**
     * Closes the connection at once (on its IO thread), dropping anything queued; {@link Handler#onClosed}
     * then reports {@code why}. Frames whose write was posted before still reach the socket first.
     */
    public void abort(String why) {
        connection.getIoThread().execute(() -> {
            if (connection.isOpen()) {
                this.why = why;
                IoUtils.safeClose(connection);
            }
        });
    }

    private void enqueue(int opcode, ByteBuffer payload, Runnable onWritten) {
        if (closeRequested.get()) {
            return; // nothing follows a close frame
        }
        long cost = OutboundMeter.cost(payload.remaining());
        if (!meter.add(cost, this::overLimit)) {
            return; // the peer is not reading: the connection is being cut
        }
        incoming.add(new Out(WsFrames.header(opcode, payload.remaining()), payload, onWritten, cost));
        postFlush();
    }

    /** The queue would pass its limit (once): the peer is not reading, and the connection is cut. */
    private void overLimit(long queued) {
        execute(() -> {
            if (connection.isOpen()) {
                onOverLimit.accept(queued);
                why = "outbound queue over its limit (" + queued + " bytes): the peer is not reading";
                IoUtils.safeClose(connection);
            }
        });
    }

    private void postFlush() {
        if (flushPosted.compareAndSet(false, true)) {
            connection.getIoThread().execute(() -> {
                flushPosted.set(false);
                flush();
            });
        }
    }

    // ------------------------------------------------------------------ writer (IO thread)

    private void onWritable() {
        awaitingWritable = false;
        sink.suspendWrites();
        flush();
    }

    private void flush() {
        if (!connection.isOpen()) {
            return;
        }
        for (Out o; (o = incoming.poll()) != null; ) {
            pending.add(o);
        }
        if (awaitingWritable) {
            return;
        }
        try {
            while (!pending.isEmpty()) {
                int n = 0;
                for (Out o : pending) {
                    if (n == gather.length) {
                        break;
                    }
                    gather[n++] = o.head();
                    gather[n++] = o.body();
                }
                long written = sink.write(gather, 0, n);
                Arrays.fill(gather, 0, n, null);
                boolean progress = false;
                while (!pending.isEmpty() && !pending.peek().head().hasRemaining() && !pending.peek().body().hasRemaining()) {
                    Out done = pending.poll();
                    progress = true;
                    written(done);
                }
                if (written == 0 || (!progress && !pending.isEmpty())) {
                    waitWritable();
                    return;
                }
            }
            if (!sink.flush()) {
                waitWritable();
            }
        } catch (IOException e) {
            why = "socket error: " + e.getMessage();
            IoUtils.safeClose(connection);
        }
    }

    private void waitWritable() {
        awaitingWritable = true;
        sink.resumeWrites();
    }

    private void written(Out done) {
        meter.release(done.cost());
        if (done.onWritten() != null) {
            done.onWritten().run();
        }
        afterWrite.run();
    }

    private void closeWritten() {
        closeSent = true;
        if (closeReceived) {
            IoUtils.safeClose(connection); // handshake complete
            return;
        }
        try {
            sink.shutdownWrites();
            sink.flush();
        } catch (IOException e) {
            IoUtils.safeClose(connection);
        }
    }

    // ------------------------------------------------------------------ reader (IO thread)

    private void onReadable() {
        ByteBuffer buf = READ_BUFFERS.get();
        for (int i = 0; i < READS_PER_EVENT; i++) {
            if (inputDone) {
                drainAndDiscard(buf);
                return;
            }
            buf.clear();
            int n;
            try {
                n = source.read(buf);
            } catch (IOException e) {
                why = "socket error: " + e.getMessage();
                IoUtils.safeClose(connection);
                return;
            }
            if (n == -1) {
                inputDone = true;
                IoUtils.safeClose(connection);
                return;
            }
            if (n == 0) {
                return;
            }
            buf.flip();
            try {
                decoder.feed(buf);
            } catch (WsProtocolException e) {
                inputDone = true;
                why = "WebSocket protocol error: " + e.getMessage();
                close(e.closeCode(), e.getMessage());
                return;
            }
        }
        source.wakeupReads(); // more may be waiting: let other connections on this thread run first
    }

    /** After our close or the peer's, input is read and dropped until the connection closes. */
    private void drainAndDiscard(ByteBuffer buf) {
        try {
            for (int i = 0; i < READS_PER_EVENT; i++) {
                buf.clear();
                int n = source.read(buf);
                if (n == -1) {
                    IoUtils.safeClose(connection);
                    return;
                }
                if (n == 0) {
                    return;
                }
            }
            source.wakeupReads();
        } catch (IOException e) {
            IoUtils.safeClose(connection);
        }
    }

    private void fireClosed() {
        if (!closedFired.compareAndSet(false, true)) {
            return;
        }
        if (handler != null) {
            handler.onClosed(why);
        }
    }

    /** Decoder callbacks: the frames of a live connection. */
    private final class Decoded implements WsFrameDecoder.Sink {
        @Override
        public void onBinary(ByteBuffer message) {
            if (!inputDone) {
                handler.onBinary(message);
            }
        }

        @Override
        public void onText(ByteBuffer message) {
            if (!inputDone) {
                handler.onText();
            }
        }

        @Override
        public void onPing(byte[] payload) {
            if (inputDone) {
                return;
            }
            handler.onPing();
            if (allowPong.getAsBoolean()) {
                enqueue(WsFrames.OP_PONG, ByteBuffer.wrap(payload), null);
            }
        }

        @Override
        public void onPong(byte[] payload) {
            if (!inputDone) {
                handler.onPong();
            }
        }

        @Override
        public void onClose(int code, String reason) {
            if (inputDone) {
                return;
            }
            inputDone = true;
            closeReceived = true;
            why = "closed by the peer (" + code + (reason.isEmpty() ? "" : " " + reason) + ")";
            if (closeSent) {
                IoUtils.safeClose(connection); // both close frames exchanged
            } else {
                close(code, ""); // echo; a close already queued stays, and closeWritten() ends the connection
            }
        }
    }
}
