package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.RequestHead;

/** Starts the local work for an accepted HTTP stream. */
@FunctionalInterface
public interface StreamHandlerFactory {

    /**
     * @param endStream the request has no body
     * @param stream    the tunnel side: replies, DATA and credit go through it
     */
    StreamHandler open(RequestHead head, boolean endStream, TunnelStream stream);

    /**
     * Starts a plain HTTP exchange whose tunnel side is not a v2 stream (the legacy framing, one
     * request per message). Only HTTP: legacy framing has no other stream kinds.
     */
    default StreamHandler openHttp(RequestHead head, boolean endStream, ExchangeStream stream) {
        throw new UnsupportedOperationException("this agent cannot serve legacy requests");
    }
}
