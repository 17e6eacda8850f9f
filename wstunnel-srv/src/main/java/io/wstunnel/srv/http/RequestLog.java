package io.wstunnel.srv.http;

import io.wstunnel.srv.admin.RequestInfo;
import io.wstunnel.srv.tunnel.TokenRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line when a tunnelled request arrives and one when it completes, for HTTP exchanges and byte
 * streams (WebSocket passthrough, TCP) alike, with the operator events (statistics, in-flight view,
 * audit record) that go with them; counts the HTTP requests in flight.
 */
public class RequestLog {
    private static final Logger log = LoggerFactory.getLogger("io.wstunnel.srv.requests");
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final io.wstunnel.srv.admin.ServerEvents events;

    public RequestLog() {
        this(io.wstunnel.srv.admin.ServerEvents.NONE);
    }

    /** @param events told about every request as it starts, flows and completes */
    public RequestLog(io.wstunnel.srv.admin.ServerEvents events) {
        this.events = events;
    }

    public io.wstunnel.srv.admin.ServerEvents events() {
        return events;
    }

    /** The request arrived (call once); a byte stream is not counted in {@link #inFlight()}. */
    public void started(RequestInfo r) {
        if (!r.stream()) {
            inFlight.incrementAndGet();
        }
        events.requestStarted(r);
        if (log.isInfoEnabled()) {
            log.info("req {} tunnel {} {} {}", r.requestId(), r.tunnel().tokenId(), r.method(), shown(r.uri()));
        }
    }

    /**
     * The request is over (call once per started request): {@code status} is what the caller got (499 when
     * it went away first; 101 for an established byte stream, whose close code, when the server sent one,
     * ends the line), the bytes are body (stream payload) bytes each way, {@code millis} its duration.
     */
    public void completed(RequestInfo r, int status, long bytesIn, long bytesOut, long millis) {
        if (!r.stream()) {
            inFlight.decrementAndGet();
        }
        events.requestCompleted(r, status, bytesIn, bytesOut, millis);
        if (log.isInfoEnabled()) {
            if (r.closeCode() == 0) {
                log.info("req {} tunnel {} {} {} -> {} in={}B out={}B {}ms", r.requestId(), r.tunnel().tokenId(),
                        r.method(), shown(r.uri()), status, bytesIn, bytesOut, millis);
            } else {
                log.info("req {} tunnel {} {} {} -> {} in={}B out={}B {}ms close={}", r.requestId(),
                        r.tunnel().tokenId(), r.method(), shown(r.uri()), status, bytesIn, bytesOut, millis,
                        r.closeCode());
            }
        }
    }

    /**
     * A request answered before it reached a tunnel (missing or unknown token, limits, no agent, outside
     * the base path): one INFO line, as a completed request gets. {@code token} may be null.
     */
    public void refused(String token, String method, String path, int status, String reason) {
        if (log.isInfoEnabled()) {
            log.info("req - tunnel {} {} {} -> {} refused ({})", token == null ? "-" : TokenRegistry.cut(token), method,
                    shown(path), status, reason);
        }
    }

    /**
     * A request target as a log line shows it: query values replaced and the length capped
     * ({@link io.wstunnel.protocol.RedactedTarget}), a token or ticket in the path cut ({@link #safePath}).
     */
    static String shown(String target) {
        return safePath(io.wstunnel.protocol.RedactedTarget.of(target));
    }

    /**
     * A path as a log line may show it: the secret after {@code /_token/} or {@code /_ticket/} is cut
     * like a token (the rest is kept), so no token or ticket is ever logged whole.
     */
    static String safePath(String path) {
        int at = -1;
        String prefix = null;
        for (String p : SECRET_PREFIXES) {
            int i = path.indexOf(p);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                prefix = p;
            }
        }
        if (at < 0) {
            return path;
        }
        int start = at + prefix.length();
        int end = path.indexOf('/', start);
        end = end < 0 ? path.length() : end;
        return path.substring(0, start) + TokenRegistry.cut(path.substring(start, end)) + safePath(path.substring(end));
    }

    private static final String[] SECRET_PREFIXES = {"/_token/", "/_ticket/"};

    /** Tunnelled requests not yet completed. */
    public int inFlight() {
        return inFlight.get();
    }
}
