package io.wstunnel.srv.http;

import java.io.IOException;

/** A request body whose framing is invalid; the message is the plain-text reason for the caller's 400. */
public final class MalformedBodyException extends IOException {
    public MalformedBodyException(String reason) {
        super(reason);
    }
}
