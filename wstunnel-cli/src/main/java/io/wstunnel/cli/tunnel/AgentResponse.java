package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.Headers;

/**
 * Responses the agent makes itself (X-Host and -deny refusals, local failures, shutdown), on either
 * framing: a plain-text body that browsers must not sniff into something else, with the same
 * headers as the server's own error bodies.
 */
public final class AgentResponse {
    public static final String CONTENT_TYPE = "text/plain; charset=utf-8";

    private AgentResponse() {
    }

    /** The head fields of an agent-made plain-text body of {@code length} bytes. */
    public static Headers textHeaders(int length) {
        return Headers.of("Content-Type", CONTENT_TYPE, "X-Content-Type-Options", "nosniff",
                "Content-Length", Integer.toString(length));
    }
}
