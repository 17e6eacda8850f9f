package io.wstunnel.srv.streams;

import io.wstunnel.srv.admin.RequestInfo;
import io.wstunnel.srv.admin.ServerEvents;
import io.wstunnel.srv.http.RequestLog;
import io.wstunnel.srv.tunnel.Tunnel;
import java.util.concurrent.TimeUnit;

/**
 * What the request log and the operator side get from one byte stream (WebSocket passthrough or TCP),
 * through the same {@link RequestLog} calls a tunnelled HTTP request makes: the arrival line, payload
 * bytes each way as they move (events only, never a log line), and one completion line and audit record
 * when the stream ends, with its lifetime as duration.
 *
 * <p>Owner: the stream's owner thread. Invariant: {@link #completed} reports once, and only after
 * {@link #started}; bytes after it are not counted.
 */
final class StreamLog {
    private final RequestLog log;
    private final ServerEvents events;
    private final RequestInfo info;
    private final long startNanos = System.nanoTime();
    private long bytesIn;
    private long bytesOut;
    private boolean started;
    private boolean done;

    /** @param target the caller's target as an HTTP request's (path after the token, and query) */
    StreamLog(RequestLog log, String requestId, Tunnel tunnel, String target, java.net.InetSocketAddress caller) {
        this.log = log;
        this.events = log.events();
        this.info = new RequestInfo(requestId, tunnel, "GET", target, RequestInfo.hostPort(caller), true);
    }

    void started() {
        if (!started) {
            started = true;
            log.started(info);
        }
    }

    /** {@code n} payload bytes from the caller were handed to the agent. */
    void in(long n) {
        if (started && !done && n > 0) {
            bytesIn += n;
            events.requestBytesIn(info, n);
        }
    }

    /** {@code n} payload bytes from the agent were written to the caller. */
    void out(long n) {
        if (started && !done && n > 0) {
            bytesOut += n;
            events.requestBytesOut(info, n);
        }
    }

    /** The stream is over; {@code status} is what the caller got (101 once the stream was established). */
    void completed(int status) {
        completed(status, 0);
    }

    /** As {@link #completed(int)}, the server having closed the caller's WebSocket with {@code closeCode} (0: it did not). */
    void completed(int status, int closeCode) {
        if (!started || done) {
            return;
        }
        done = true;
        if (closeCode != 0) {
            info.closeCode(closeCode);
        }
        log.completed(info, status, bytesIn, bytesOut, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }
}
