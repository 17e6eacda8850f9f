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
}
