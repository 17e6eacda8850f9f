package io.wstunnel.protocol;

import java.util.Objects;

/** One HTTP header field. Names keep the case they arrived with; comparisons ignore case. */
public record Header(String name, String value) {
    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
