package io.wstunnel.protocol;

import java.util.Objects;

/**
 * The head of a tunnelled response.
 *
 * @param status  status code, 100..999
 * @param reason  reason phrase (may be empty)
 * @param headers end-to-end headers (no hop-by-hop fields)
 */
public record ResponseHead(int status, String reason, Headers headers) {
    public ResponseHead {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(headers, "headers");
    }
}
