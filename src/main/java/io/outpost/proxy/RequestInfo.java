package io.outpost.proxy;

import java.util.Locale;

/**
 * The parts of a request target that routing reads, taken apart once when the head arrives.
 * {@link #parse} also validates the Host, since an edge must not pass on a request whose
 * authority it cannot read.
 */
record RequestInfo(String host, String authority, String path, String query) {

    /** Why a request head cannot be routed; the message goes into the 400 body. */
    static final class InvalidRequestException extends Exception {
        InvalidRequestException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Splits the request target and checks the Host. {@code uri} may be in origin form
     * ({@code /a?b}) or absolute form ({@code http://h/a?b} or {@code https://h/a?b}); in absolute
     * form its authority wins over the Host header, as RFC 9112 section 3.2.2 says.
     */
    static RequestInfo parse(String uri, String hostHeader, boolean http11, int hostHeaderCount)
            throws InvalidRequestException {
        String authority = hostHeader;
        String target = uri;
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            if ((scheme == 4 || scheme == 5) && uri.regionMatches(true, 0, "https", 0, scheme)) {
                int start = scheme + 3;
                int slash = uri.indexOf('/', start);
                int q = uri.indexOf('?', start);
                int end = slash < 0 ? (q < 0 ? uri.length() : q) : (q >= 0 && q < slash ? q : slash);
                authority = uri.substring(start, end);
                target = end == uri.length() ? "/" : uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end);
            } else if (!uri.equals("*")) {
                throw new InvalidRequestException("invalid request target");
            }
        }
        if (hostHeaderCount > 1) {
            throw new InvalidRequestException("more than one Host header");
        }
        if (authority == null) {
            if (http11) {
                throw new InvalidRequestException("missing Host header");
            }
            authority = "";
        }
        String host = hostOf(authority);
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? "" : target.substring(q + 1);
        return new RequestInfo(host, authority, removeDotSegments(decodeUnreserved(path)), query);
    }

    /**
     * Decodes percent-escapes of unreserved characters (letters, digits, {@code - . _ ~}), which RFC
     * 3986 section 6.2.2.2 says mean the same as the characters themselves, so that {@code /%61dmin}
     * is matched, filtered and forwarded as {@code /admin}. Other escapes ({@code %2F} among them)
     * stay as they are.
     */
    static String decodeUnreserved(String path) {
        int first = path.indexOf('%');
        if (first < 0) {
            return path;
        }
        StringBuilder out = null;
        int copied = 0;
        for (int i = first; i + 2 < path.length(); i++) {
            if (path.charAt(i) != '%') {
                continue;
            }
            int hi = Character.digit(path.charAt(i + 1), 16);
            int lo = Character.digit(path.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                continue;
            }
            char c = (char) (hi * 16 + lo);
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved) {
                if (out == null) {
                    out = new StringBuilder(path.length());
                }
                out.append(path, copied, i).append(c);
                copied = i + 3;
                i += 2;
            }
        }
        return out == null ? path : out.append(path, copied, path.length()).toString();
    }

    /**
     * Removes {@code .} and {@code ..} segments (RFC 3986 section 5.2.4; encoded dots were decoded
     * before), so that {@code /public/../admin} is routed, filtered and forwarded as
     * {@code /admin}. Without this a rule on {@code /admin} could be walked around.
     */
    static String removeDotSegments(String path) {
        if (path.indexOf('.') < 0) {
            return path;
        }
        String[] segments = path.split("/", -1);
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>(segments.length);
        boolean changed = false;
        for (int i = 1; i < segments.length; i++) {
            String seg = segments[i];
            String plain = seg;
            if (plain.equals(".")) {
                changed = true;
                if (i == segments.length - 1) {
                    out.addLast("");
                }
            } else if (plain.equals("..")) {
                changed = true;
                out.pollLast();
                if (i == segments.length - 1) {
                    out.addLast("");
                }
            } else {
                out.addLast(seg);
            }
        }
        if (!changed) {
            return path;
        }
        return "/" + String.join("/", out);
    }

    /** The lower-case host of an authority without its port; throws when it is not a valid host. */
    static String hostOf(String authority) throws InvalidRequestException {
        if (authority.isEmpty()) {
            return "";
        }
        String host;
        int port = -1; // where the port starts in authority, when it has one
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new InvalidRequestException("invalid Host: " + authority);
            }
            host = authority.substring(1, close);
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                    throw new InvalidRequestException("invalid Host: " + authority);
                }
            }
            if (close + 1 < authority.length()) {
                if (authority.charAt(close + 1) != ':') {
                    throw new InvalidRequestException("invalid Host: " + authority);
                }
                port = close + 2;
            }
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            if (colon >= 0) {
                port = colon + 1;
            }
            if (host.isEmpty()) {
                throw new InvalidRequestException("invalid Host: " + authority);
            }
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_' || c == '~' || c == '%';
                if (!ok) {
                    throw new InvalidRequestException("invalid Host: " + authority);
                }
            }
        }
        if (port >= 0) {
            int digits = authority.length() - port;
            if (digits == 0 || digits > 5) {
                throw new InvalidRequestException("invalid Host port: " + authority);
            }
            int value = 0;
            for (int i = port; i < authority.length(); i++) {
                char c = authority.charAt(i);
                if (c < '0' || c > '9') {
                    throw new InvalidRequestException("invalid Host port: " + authority);
                }
                value = value * 10 + (c - '0');
            }
            if (value > 65535) {
                throw new InvalidRequestException("invalid Host port: " + authority);
            }
        }
        return toLowerAscii(host);
    }

    private static String toLowerAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return s.toLowerCase(Locale.ROOT);
            }
        }
        return s;
    }
}
