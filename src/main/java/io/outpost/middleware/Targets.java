package io.outpost.middleware;

import io.netty.handler.codec.http.HttpRequest;

/**
 * Reads and rewrites the request target ({@code /path?query}) of the head as it is now, so that
 * path middlewares compose: {@link Exchange#path()} keeps what the client sent, while these see
 * what earlier middlewares made of it.
 */
final class Targets {

    private Targets() {
    }

    /** Index of the {@code ?} in {@code uri}, or its length when there is no query. */
    static int pathEnd(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri.length() : q;
    }

    /** Replaces the path of the request target and keeps its query. */
    static void setPath(HttpRequest request, String uri, int pathEnd, String newPath) {
        request.setUri(pathEnd == uri.length() ? newPath : newPath.concat(uri.substring(pathEnd)));
    }

    /**
     * Checks a configured path or prefix: it must start with {@code /} and hold nothing that would
     * break the request line or change its meaning (whitespace, controls, {@code ?}, {@code #}).
     */
    static String checkPath(String middleware, String key, String path) {
        if (!path.startsWith("/")) {
            throw Middlewares.invalid(middleware, key + ": \"" + path + "\" (expected: a path starting with /)");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '?' || c == '#') {
                throw Middlewares.invalid(middleware,
                        key + ": \"" + path + "\" (expected: no whitespace, control characters, ? or #)");
            }
        }
        return path;
    }
}
