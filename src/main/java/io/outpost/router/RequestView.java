package io.outpost.router;

import java.util.List;

/**
 * What rule matching may look at in a request. It is free of Netty types so that the rule language,
 * the route index and their tests run without sockets.
 */
public interface RequestView {

    /** The method in upper case, for example {@code GET}. */
    String method();

    /** The host without its port, in lower case; empty when the request has none. */
    String host();

    /** The path of the request target, without the query, as sent (not percent-decoded). */
    String path();

    /** The raw query string without the leading {@code ?}; empty when there is none. */
    String query();

    /** The first value of a header (names compare case-insensitively), or {@code null}. */
    String header(String name);

    /** Every value of a header, one per field line, in the order received; empty when there is none. */
    default List<String> headers(String name) {
        String value = header(name);
        return value == null ? List.of() : List.of(value);
    }

    /** The client's address as text, for example {@code 127.0.0.1} or {@code ::1}. */
    String clientIp();
}
