package io.wstunnel.srv.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One INFO line when a tunnelled request arrives and one when it completes; counts what is in flight. */
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

    io.wstunnel.srv.admin.ServerEvents events() {
        return events;
    }

    void started(CallerRequest r) {
        inFlight.incrementAndGet();
        events.requestStarted(r.info());
        if (log.isInfoEnabled()) {
            log.info("req {} tunnel {} {} {}", r.requestId(), r.tokenId(), r.head().method(), r.head().target());
        }
    }

    void completed(CallerRequest r, int status, long bytesIn, long bytesOut, long millis) {
        inFlight.decrementAndGet();
        events.requestCompleted(r.info(), status, bytesIn, bytesOut, millis);
        if (log.isInfoEnabled()) {
            log.info("req {} tunnel {} {} {} -> {} in={}B out={}B {}ms", r.requestId(), r.tokenId(), r.head().method(),
                    r.head().target(), status, bytesIn, bytesOut, millis);
        }
    }

    /** Tunnelled requests not yet completed. */
    public int inFlight() {
        return inFlight.get();
    }
}
