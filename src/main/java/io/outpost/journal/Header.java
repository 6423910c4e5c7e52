package io.outpost.journal;

import java.util.Objects;

/** One request or response header as it was received; repeated names are kept as separate pairs. */
public record Header(String name, String value) {

    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("header name: \"\" (expected: non-empty)");
        }
    }
}
