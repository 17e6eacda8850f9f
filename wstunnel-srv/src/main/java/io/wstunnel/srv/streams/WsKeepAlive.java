package io.wstunnel.srv.streams;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;

/**
 * Keep-alive PINGs toward the caller of a spliced WebSocket: once the caller-bound direction has been
 * idle for {@code pingMillis}, a PING (server frames are unmasked: 0x89 0x00) is put between two
 * frames of the agent's stream, never inside one ({@link WsFrameTracker}). Its bytes are the server's,
 * so they are never credited to the agent.
 *
 * <p>Owned by one {@link WebSocketPassthrough} and used only on its owner thread, where its timer
 * also runs: nothing here needs a lock.
 */
final class WsKeepAlive {
    private final XnioIoThread owner;
    /** Caller-bound idle time after which a PING is put between two frames; 0 = never. */
    private final long pingMillis;
    /** True while PINGs may still go out: splicing, and the agent has not ended its side. */
    private final BooleanSupplier live;
    /** True when no agent bytes wait to be written to the caller. */
    private final BooleanSupplier drained;
    /** Writes what waits toward the caller, the PING first. */
    private final Runnable pump;
    private final WsFrameTracker toCaller = new WsFrameTracker();

    /** A PING not yet fully written. */
    private ByteBuffer ping;
    private long lastToCallerNanos;
    private XnioExecutor.Key pingKey;
    private long pingsSent;

    WsKeepAlive(XnioIoThread owner, long pingMillis, BooleanSupplier live, BooleanSupplier drained, Runnable pump) {
        this.owner = owner;
        this.pingMillis = Math.max(0, pingMillis);
        this.live = live;
        this.drained = drained;
        this.pump = pump;
    }

    /** Splicing has started: the idle clock runs from now (unless PINGs are off). */
    void start() {
        if (pingMillis > 0) {
            lastToCallerNanos = System.nanoTime();
            schedule(pingMillis);
        }
    }

    /** Agent bytes on their way to the caller: followed for frame boundaries, not moved or copied. */
    void agentBytes(ByteBuffer data) {
        toCaller.feed(data);
        lastToCallerNanos = System.nanoTime();
    }

    /**
     * Writes the pending PING, if any, before any agent byte (it sits at a frame boundary).
     *
     * @return true when no PING is left to write
     */
    boolean writePing(StreamSinkChannel sink) throws IOException {
        if (ping != null) {
            sink.write(ping);
            if (ping.hasRemaining()) {
                return false;
            }
            ping = null;
        }
        return true;
    }

    /** No more PINGs: the timer is cancelled and an unwritten PING dropped. */
    void stop() {
        if (pingKey != null) {
            pingKey.remove();
            pingKey = null;
        }
        ping = null;
    }

    long pingsSent() {
        return pingsSent;
    }

    private void schedule(long delayMillis) {
        pingKey = owner.executeAfter(this::tick, Math.max(1, delayMillis), TimeUnit.MILLISECONDS);
    }

    /** Injects a PING toward the caller when that direction has been idle, at a frame boundary only. */
    private void tick() {
        pingKey = null;
        if (!live.getAsBoolean() || toCaller.closeSeen() || toCaller.broken()) {
            return;
        }
        long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastToCallerNanos);
        if (idle < pingMillis) {
            schedule(pingMillis - idle);
            return;
        }
        if (ping == null && drained.getAsBoolean() && toCaller.atBoundary()) {
            ping = ByteBuffer.wrap(new byte[]{(byte) 0x89, 0x00});
            pingsSent++;
            lastToCallerNanos = System.nanoTime();
            pump.run();
            schedule(pingMillis);
        } else {
            schedule(Math.max(1, pingMillis / 4)); // mid-frame or still writing: look again soon
        }
    }
}
