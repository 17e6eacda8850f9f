package io.wstunnel.protocol;

import java.util.Objects;

/**
 * The head of a tunnelled request.
 *
 * @param method    HTTP method, e.g. GET
 * @param target    path and query exactly as the caller sent them (origin-form), starting with '/'
 * @param authority the Host the caller used
 * @param scheme    "http" or "https", as the caller reached the server
 * @param headers   end-to-end headers (no hop-by-hop fields, no Host)
 */
public record RequestHead(String method, String target, String authority, String scheme, Headers headers) {
    public RequestHead {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(authority, "authority");
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(headers, "headers");
    }
}
