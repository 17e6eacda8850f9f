package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.Tunnel;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tunnelled request as the operator side sees it: an HTTP exchange or a byte stream (a WebSocket
 * passthrough or a TCP stream, {@link #stream()}). Byte counters move while the request flows.
 */
public final class RequestInfo {
    private final String requestId;
    private final boolean stream;
    private final Tunnel tunnel;
    private final String method;
    private final String uri;
    private final String callerAddress;
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    volatile String agentId = "";
    /** The WebSocket close code the server sent the caller of a TCP stream, 0 if none (yet). */
    private volatile int closeCode;

    /** An HTTP exchange. */
    public RequestInfo(String requestId, Tunnel tunnel, String method, String uri, String callerAddress) {
        this(requestId, tunnel, method, uri, callerAddress, false);
    }

    /** @param stream a WebSocket passthrough or TCP stream: long-lived, its duration is its lifetime */
    public RequestInfo(String requestId, Tunnel tunnel, String method, String uri, String callerAddress,
                       boolean stream) {
        this.stream = stream;
        this.requestId = requestId;
        this.tunnel = tunnel;
        this.method = method;
        this.uri = uri;
        this.callerAddress = callerAddress;
    }

    public String requestId() {
        return requestId;
    }

    /** The request id as a number (ids are hex). */
    public long numericId() {
        try {
            return Long.parseUnsignedLong(requestId, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public boolean stream() {
        return stream;
    }

    public int closeCode() {
        return closeCode;
    }

    /** Records the close code the server sent the caller (TCP streams), before the request completes. */
    public void closeCode(int code) {
        this.closeCode = code;
    }

    public Tunnel tunnel() {
        return tunnel;
    }

    public String method() {
        return method;
    }

    public String uri() {
        return uri;
    }

    /** ip:port of the caller's socket. */
    public String callerAddress() {
        return callerAddress;
    }

    public Instant start() {
        return start;
    }

    public long startNanos() {
        return startNanos;
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** "ip:port" ("[v6]:port") of a socket address, "" if unknown. */
    public static String hostPort(java.net.InetSocketAddress a) {
        return AdminHub.hostPort(a);
    }
}
